"""synthesize_cleft: one procedural, seeded cleft lip (unrepaired or repaired) on a normal face.

Order of work: measure the face (face_measures), draw every number (plan), build the warps
(geometry), map each pixel of a box around the lower nose and upper lip back to its source
(smooth warp, then the seam of each cleft), resample, paint the gaps or the repair marks, and
keep the input outside the support of all of it. The landmarks after are the landmarks carried
by the same maps, so they sit on the moved lip and nose edges.
"""
from dataclasses import dataclass

import cv2
import numpy as np

from .face_measures import measure_face
from .geometry import alar_domes, build_seams, build_smooth_warp, forward_through_seams
from .inputs import checked_choice, checked_image, checked_landmarks
from .paint_views import paint_open, paint_repair
from .plan import plan_cleft
from .shading import local_light, luminance
from .cleft_site import SIDE_POINTS

__all__ = ["MOVED", "CleftSynthesis", "synthesize_cleft"]

MOVED = 1e-3  # px: a pixel whose source is farther than this from itself is changed


@dataclass
class CleftSynthesis:
    image: np.ndarray      # uint8 (H, W, 3) RGB, the input's shape
    landmarks: np.ndarray  # float32 (68, 2) after the change
    mask: np.ndarray       # bool (H, W): every changed pixel is inside (support of warps and paint, +1 px)
    params: dict           # every parameter, JSON-serializable (plan.py lists them)


def _roi(seams, smooth, shape) -> tuple:
    corners = [smooth.support_corners()] + [seam.support_corners(*span) for _, seam, span in seams]
    corners = np.vstack(corners)
    h, w = shape[:2]
    x0, y0 = np.floor(corners.min(0)).astype(int) - 2
    x1, y1 = np.ceil(corners.max(0)).astype(int) + 3
    return max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)


def _block(corners, x0: int, y0: int, shape) -> tuple:
    """Slices of the ROI (origin x0, y0) holding the bounding box of `corners`."""
    lo = np.floor(corners.min(0)).astype(int) - 2 - [x0, y0]
    hi = np.ceil(corners.max(0)).astype(int) + 3 - [x0, y0]
    return slice(max(lo[1], 0), min(hi[1], shape[0])), slice(max(lo[0], 0), min(hi[0], shape[1]))


def synthesize_cleft(image, landmarks, kind: str = "unilateral_complete", side: str = "left",
                     severity: float = 1.0, seed=None) -> CleftSynthesis:
    """A cleft lip of `kind` on the subject's `side` ("left" is the image right; bilateral kinds
    take both sides) at `severity` in [0, 1] (0 returns the input bit for bit), seeded by `seed`.
    Kinds: unilateral_incomplete, unilateral_complete, bilateral_incomplete, bilateral_complete,
    repaired (side "both": a bilateral repair). docs/cleft_synthesis.md describes what each renders."""
    image = checked_image(image)
    landmarks = checked_landmarks(landmarks, image.shape)
    kind, sides = checked_choice(kind, side, severity)
    severity = float(severity)
    face = measure_face(image, landmarks)
    plan = plan_cleft(kind, sides, severity, seed)
    params = {**plan, "side": side if len(sides) == 1 else "both", "face": face.to_json()}
    if severity == 0.0:
        return CleftSynthesis(image.copy(), landmarks.copy(), np.zeros(image.shape[:2], bool), params)

    seams = build_seams(plan, landmarks, face)
    # where the seams carry each landmark, each repair's white-roll start (the lateral edge at V)
    # and the smooth warp's virtual points, all in one pass
    starts = [seam.site.vermilion + 0.5 * seam.site.lateral for _, seam, _ in seams]
    domes = alar_domes(plan, landmarks, face)
    carried = forward_through_seams(np.vstack([landmarks.astype(np.float64)] + starts + domes), seams)
    smooth = build_smooth_warp(plan, landmarks, face, carried[:68], carried[68 + len(starts):])
    carried = smooth.forward_points(carried)
    x0, y0, x1, y1 = _roi(seams, smooth, image.shape)
    sx, sy = smooth.backward_grid(x0, y0, x1 - x0, y1 - y0)
    views = []  # each seam changes only pixels inside its block: map just those
    for side_name, seam, span in seams:
        block = _block(seam.support_corners(*span), x0, y0, sx.shape)
        nx, ny, a, b, hl, hm = seam.backward(sx[block], sy[block])
        sx[block], sy[block] = nx, ny
        views.append(((side_name, seam, a, b, hl, hm), block))
    warped = cv2.remap(image, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    support = (np.abs(sx - xs) > MOVED) | (np.abs(sy - ys) > MOVED)

    light = local_light(image[y0:y1, x0:x1], 0.15 * face.mouth_width,
                        luminance(0.5 * (face.lip_colour + face.skin_colour)))
    rng = np.random.default_rng(plan["texture_seed"])
    for j, (view, block) in enumerate(views):
        p = plan["per_side"][view[0]]
        if kind == "repaired":
            roll = (carried[68 + j], carried[SIDE_POINTS[view[0]][1]])
            paint_repair(warped, support, view, block, p, face, light, rng, xs, ys, roll)
        else:
            paint_open(warped, support, view, block, p, face, light, rng)

    result = image.copy()
    np.copyto(result[y0:y1, x0:x1], warped, where=support[..., None])
    mask = np.zeros(image.shape[:2], bool)
    # the 1 px dilation reaches one pixel past the ROI at most: dilate that window alone
    wy0, wx0, wy1, wx1 = max(y0 - 1, 0), max(x0 - 1, 0), y1 + 1, x1 + 1
    mask[y0:y1, x0:x1] = support
    mask[wy0:wy1, wx0:wx1] = cv2.dilate(mask[wy0:wy1, wx0:wx1].view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
    after = carried[:68].astype(np.float32)
    params["region_pixels"] = int(mask.sum())
    return CleftSynthesis(result, after, mask, params)
