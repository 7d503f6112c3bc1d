"""From a plan to warps: the seam along each cleft and the smooth warp of the nose and lip
points (cleft_site, seam_warp, smooth_warp), in the face's own sizes."""
import numpy as np

from .cleft_site import SIDE_POINTS, cleft_site
from .ramps import clamp, smoothstep
from .seam_warp import SeamWarp
from .smooth_warp import SmoothWarp

__all__ = ["COLUMELLA_BASE", "NOSE_TIP", "BOW_MIDPOINT", "INNER_UPPER_LIP", "build_seams", "alar_domes",
           "build_smooth_warp", "forward_through_seams"]

COLUMELLA_BASE, NOSE_TIP, BOW_MIDPOINT = 33, 30, 51
INNER_UPPER_LIP = (61, 62, 63)


def _gap_width(site, p: dict, mouth_width: float):
    """a -> gap width (px): widest at the free margin, a rounded bottom just below it, a V apex
    (incomplete) or a rounded top inside the nostril (complete, gap_top > 1)."""
    w0, top, fm = p["gap_width"] * mouth_width, p["gap_top"], site.free_margin
    bottom_band = 0.5 * -fm

    def width(a):
        a = np.asarray(a, np.float64)
        lip = w0 * (1.0 + 0.2 * clamp(a / fm, 0.0, 1.0))
        below = 1.0 - smoothstep((fm - a) / bottom_band)
        if top > 1.0:
            skin = (1.0 - 0.2 * clamp(a, 0.0, 1.0)) * clamp(1.0 - ((a - 1.0) / (top - 1.0)) ** 2, 0.0, 1.0) ** 0.5
            skin = np.where(a > 1.0, skin, 1.0 - 0.2 * clamp(a, 0.0, 1.0))
        else:
            skin = clamp(1.0 - a / top, 0.0, 1.0) ** 0.75
        irregular = 1.0 + p["wall_wobble"] * np.sin(6.0 * a + p["wall_phase"])
        return np.where(a < fm, w0 * 1.2 * below, np.where(a <= 0.0, lip, w0 * skin)) * irregular
    return width


def _edge_lift(site, p: dict, mouth_width: float):
    """a -> how far the lip's edges rise along the gap (px): the vermilion border of both
    segments turns up into the cleft; most at the border (a = 0), none at the free margin or
    from half the lip's height up."""
    lift, fm = p["edge_lift"] * mouth_width, site.free_margin

    def rise(a):
        a = np.asarray(a, np.float64)
        return lift * np.where(a < 0.0, smoothstep((a - fm) / -fm), 1.0 - smoothstep(a / 0.5))
    return rise


def _notch_lift(site, p: dict):
    """a -> rise of the repaired lip's free margin at the scar (px): a notch, pulled up from
    below, as deep as notch_depth vermilion heights, gone half-way up the vermilion."""
    fm = site.free_margin
    depth = p["notch_depth"] * -fm * site.length

    def rise(a):
        a = np.asarray(a, np.float64)
        return depth * clamp(1.0 - (a - fm) / (-0.6 * fm), 0.0, 1.0) * (1.0 - smoothstep((fm - a) / (-0.6 * fm)))
    return rise


def _repair_step(site, p: dict, mouth_width: float):
    """a -> slide of the lateral lip along the scar: the whole step at the vermilion, fading over
    the lower half of the lip skin and over the vermilion's lower edge."""
    step, fm = p["step"] * mouth_width, site.free_margin

    def slide(a):
        a = np.asarray(a, np.float64)
        upper = clamp(1.0 - (a - 0.2) / 0.5, 0.0, 1.0)
        lower = clamp((a - 1.5 * fm) / (-0.5 * fm), 0.0, 1.0)
        return step * upper * lower
    return slide


def build_seams(plan: dict, landmarks, face) -> list:
    """[(side, SeamWarp, (a_low, a_high))] in the order the backward map applies them."""
    seams = []
    w = face.mouth_width
    for side in plan["sides"]:
        p = plan["per_side"][side]
        site = cleft_site(landmarks, face, side, p["peak_offset"])
        if plan["kind"] == "repaired":
            seam = SeamWarp(site, lambda a: np.zeros_like(np.asarray(a, np.float64)), 0.5, 0.3 * w, 0.3 * w,
                            step=_repair_step(site, p, w), lift=_notch_lift(site, p),
                            lift_radius=0.5 * p["notch_width"] * w + 1.0)
            span = (1.6 * site.free_margin, 1.2)
        else:
            opening = p["gap_width"] * w * 1.2
            seam = SeamWarp(site, _gap_width(site, p, w), p["lateral_share"],
                            max(0.35 * w, 1.8 * opening), max(0.2 * w, 1.5 * opening), lift=_edge_lift(site, p, w),
                            lift_radius=0.8 * opening + 0.05 * w)
            span = (1.4 * site.free_margin, max(p["gap_top"], 0.5) + 0.05)  # 0.5: where the edge lift ends
        seams.append((side, seam, span))
    return seams


def _moves(plan: dict, landmarks, face) -> tuple:
    """({landmark: delta px}, [(virtual point px, delta px)])."""
    moves, virtual = {}, []
    down, w, n = face.down, face.mouth_width, face.nose_width
    p = landmarks.astype(np.float64)

    def add(i, d):
        moves[i] = moves.get(i, 0.0) + d

    for side in plan["sides"]:
        q = plan["per_side"][side]
        peak, lateral_lip, _, alar, floor = SIDE_POINTS[side]
        cheek = face.right if side == "left" else -face.right
        nose = q["nose"]
        add(peak, -q["peak_raise"] * w * down)
        if plan["kind"] != "repaired":
            add(lateral_lip, -0.4 * q["peak_raise"] * w * down)
        add(alar, n * (nose["alar_lateral"] * cheek + nose["alar_down"] * down))
        add(floor, n * (nose["floor_lateral"] * cheek + nose["floor_down"] * down))
        add(COLUMELLA_BASE, -n * nose["columella_shift"] * cheek)
        virtual.append((_alar_dome(p, face, side), n * (0.5 * nose["alar_lateral"] * cheek + nose["dome_down"] * down)))
    if "prolabium_raise" in plan:
        for i in (50, BOW_MIDPOINT, 52):
            add(i, -plan["prolabium_raise"] * w * down)
        for i in INNER_UPPER_LIP:
            add(i, -0.5 * plan["prolabium_raise"] * w * down)
        add(COLUMELLA_BASE, -plan["columella_raise"] * n * down)
    return moves, virtual


def _alar_dome(p: np.ndarray, face, side: str) -> np.ndarray:
    """A virtual point on the alar dome above the alar base, where the nostril's rim slumps."""
    cheek = face.right if side == "left" else -face.right
    return p[SIDE_POINTS[side][3]] - 0.45 * face.nose_width * face.down - 0.1 * face.nose_width * cheek


def alar_domes(plan: dict, landmarks, face) -> list:
    """The virtual points of the smooth warp, one per cleft side, for forward_through_seams to
    carry with the landmarks (one pass through the seams for all points)."""
    return [_alar_dome(landmarks.astype(np.float64), face, side) for side in plan["sides"]]


def build_smooth_warp(plan: dict, landmarks, face, carried_landmarks: np.ndarray, carried_domes) -> SmoothWarp:
    """The smooth warp, with centres where the seams have already carried each point
    (`carried_landmarks`: all 68, `carried_domes`: alar_domes, through forward_through_seams),
    so the composed map sends every listed point exactly by its delta; the nose tip, the other
    nostril (one-sided clefts), the mouth corners and the inner upper lip are held (a raised peak
    lifts the vermilion border, not the free margin)."""
    moves, virtual = _moves(plan, landmarks, face)
    held = [NOSE_TIP, 48, 54, 57, 60, 61, 62, 63, 64] + [i for i in (31, 32, 34, 35) if i not in moves]
    ids = sorted(moves) + [i for i in held if i not in moves]
    deltas = [moves.get(i, np.zeros(2)) for i in ids] + [d for _, d in virtual]
    carried = [carried_landmarks[i] for i in ids] + list(carried_domes)
    centres = np.array(carried) + np.array(deltas)
    return SmoothWarp(centres, np.array(deltas), 0.8 * face.nose_width)


def forward_through_seams(points: np.ndarray, seams) -> np.ndarray:
    """Points carried by the seams (the backward map applies them first to last, so the
    forward map inverts them last to first)."""
    for _, seam, _ in reversed(seams):
        points = seam.forward_points(points)
    return points
