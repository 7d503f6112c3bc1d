"""The asymmetry measures drawn on the face: midline, per-side segments, values."""
import cv2
import numpy as np

from .measures import AsymmetryMeasures, SIDES

__all__ = ["COLOURS", "draw_asymmetry", "LANDMARK_COLOURS", "draw_landmark_sets"]

COLOURS = {"left": (255, 140, 0), "right": (0, 170, 255)}  # subject's left orange, right blue


def _pt(p):
    return tuple(int(round(v)) for v in p)


def draw_asymmetry(image: np.ndarray, landmarks: np.ndarray, m: AsymmetryMeasures, assessment=None) -> np.ndarray:
    """A copy of `image` with the midline, each side's measured segments and a values panel (with
    the palsy assessment's verdict and evidence when given)."""
    out = image.copy()
    lm = landmarks.astype(np.float64)
    f = m.frame
    t = max(1, round(max(image.shape[:2]) / 500))
    span = np.linalg.norm(lm[8] - lm[27]) * 1.3
    cv2.line(out, _pt(f.origin - 0.25 * span * f.down), _pt(f.origin + span * f.down), (255, 255, 255), t, cv2.LINE_AA)
    centre = (lm[62] + lm[66]) / 2
    for side, k in SIDES.items():
        c = COLOURS[side]
        eye = lm[list(k["eye"])].mean(0)
        brow_top = lm[list(k["brow"])][np.argmin(f.coords(lm[list(k["brow"])])[:, 1])]
        cv2.line(out, _pt(eye), _pt(brow_top), c, t, cv2.LINE_AA)
        for up, lo in k["lids"]:
            cv2.line(out, _pt(lm[up]), _pt(lm[lo]), c, t, cv2.LINE_AA)
        cv2.line(out, _pt(centre), _pt(lm[k["corner"]]), c, t, cv2.LINE_AA)
        cv2.line(out, _pt(lm[k["nostril"]]), _pt(lm[k["lip"]]), c, t, cv2.LINE_AA)
        cv2.circle(out, _pt(lm[k["corner"]]), 2 * t + 1, c, -1, cv2.LINE_AA)
    canthi = (lm[39] + lm[42]) / 2
    half = 0.6 * np.linalg.norm(lm[45] - lm[36])
    cv2.line(out, _pt(canthi - half * f.left), _pt(canthi + half * f.left), (200, 200, 200), 1, cv2.LINE_AA)
    return np.hstack([out, _panel(image.shape[0], m, assessment)])


def _assessment_rows(a) -> list:
    rows = ["", f"p(palsy) {a.p_palsy:.2f}"]
    if a.side != "none":
        rows.append(f"{a.side} side ({a.side_confidence:.2f}), {a.type} "
                    f"({a.p_peripheral if a.type == 'peripheral' else 1 - a.p_peripheral:.2f})")
    rows.append("(L-R)/eye-corner dist:")
    rows += [f"  {k:10s} {100 * v:+6.1f}%" if k not in ("smile", "tilt") else f"  {k:10s} {45 * v:+6.1f} deg"
             for k, v in a.features.items()]
    return rows


def _panel(height: int, m: AsymmetryMeasures, assessment=None) -> np.ndarray:
    rows = [f"measure ({m.unit})   R     L", ""]
    for name in m.left:
        label = name.replace("_", " ").replace("palpebral fissure", "fissure")
        rows.append(f"{label[:20]:20s} {m.right[name]:6.1f} {m.left[name]:6.1f}")
    rows += ["", f"asymmetry index {m.asymmetry_index:.1f}%", f"smile angle diff {m.smile_angle_difference:.1f} deg",
             f"scale: {m.scale_source}"]
    if assessment is not None:
        rows += _assessment_rows(assessment)
    # text size follows the photo, but every row must fit its height
    scale = max(0.3, min(height / 1300, 0.45 * height / (26 * (len(rows) + 1))))
    line_h = int(26 * scale / 0.45)
    width = int(420 * scale / 0.45)
    panel = np.full((height, width, 3), 255, np.uint8)
    for i, text in enumerate(rows):
        cv2.putText(panel, text, (6, line_h * (i + 1)), cv2.FONT_HERSHEY_PLAIN, scale * 2.0, (0, 0, 0),
                    max(1, int(scale * 2)), cv2.LINE_AA)
    return panel


LANDMARK_COLOURS = ((255, 40, 40), (0, 160, 255), (255, 255, 255), (0, 220, 0))  # RGB


def draw_landmark_sets(image: np.ndarray, sets: dict, crop_to_face: bool = True) -> np.ndarray:
    """A copy of `image` with several 68-point sets ({label: points}, drawn in order, each in its
    colour, with a legend), cropped to the faces when crop_to_face."""
    out = image.copy()
    t = max(1, round(max(image.shape[:2]) / 400))
    for (label, pts), colour in zip(sets.items(), LANDMARK_COLOURS):
        for x, y in np.asarray(pts, np.float64):
            cv2.circle(out, _pt((x, y)), t + 1, colour, -1, cv2.LINE_AA)
    if crop_to_face:
        allpts = np.vstack([np.asarray(p) for p in sets.values()])
        lo, hi = allpts.min(0), allpts.max(0)
        pad = 0.15 * (hi - lo).max()
        x0, y0 = np.maximum(0, np.floor(lo - pad)).astype(int)
        x1, y1 = np.minimum([image.shape[1], image.shape[0]], np.ceil(hi + pad)).astype(int)
        out = out[y0:y1, x0:x1].copy()
    scale = max(0.5, out.shape[0] / 500)
    y = int(22 * scale)
    for (label, _), colour in zip(sets.items(), LANDMARK_COLOURS):
        cv2.putText(out, label, (6, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, (0, 0, 0), int(3 * scale), cv2.LINE_AA)
        cv2.putText(out, label, (6, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, colour, max(1, int(scale)), cv2.LINE_AA)
        y += int(24 * scale)
    return out
