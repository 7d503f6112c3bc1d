"""facenorm's own LT-v2 templates: parametric cleft-like upper lips on the generic mean face.

Each template is the 2D mean shape of dlib's 68-point model (fn.generic_face_model_3d()[:, :2],
mouth width W = 56 mm) with the outer upper lip 49-53 displaced as listed, in units of W.
Image directions: up is -y; "subject's right" is the image left (points 49, 50), "subject's
left" the image right (52, 53). LT-v2 anchors every template at its bow midpoint 51, so what
transfers is the shape relative to 51.

| name | displacement (fractions of W) | repair outcome it imitates |
|---|---|---|
| raised_peak_right | 50 up 0.08, 49 up 0.04 | unilateral raised peak, subject's right |
| raised_peak_left | 52 up 0.08, 53 up 0.04 | unilateral raised peak, subject's left |
| bow_off_midline | 50, 52 shifted 0.06 to the image right (51 stays) | cupid's bow misaligned with the facial midline |
| vermilion_notch | 51 up 0.06 | notch in the vermilion border at the bow |
| flattened_bow | 50, 52 down to the height of 51 | flattened cupid's bow |
| raised_peak_right_flattened | raised_peak_right + flattened left peak (52 to 51's height) | combination |
| notch_off_midline | vermilion_notch + bow_off_midline | combination |
"""
import numpy as np

from .. import _core

__all__ = ["UP", "RIGHT", "default_lip_templates"]

UP = np.float32([0.0, -1.0])
RIGHT = np.float32([1.0, 0.0])  # towards the image right (the subject's left)

# name -> {landmark index: displacement in mouth widths}, or a callable for shape-dependent moves
_MOVES = {
    "raised_peak_right": {50: 0.08 * UP, 49: 0.04 * UP},
    "raised_peak_left": {52: 0.08 * UP, 53: 0.04 * UP},
    "bow_off_midline": {50: 0.06 * RIGHT, 52: 0.06 * RIGHT},
    "vermilion_notch": {51: 0.06 * UP},
}


def _mean_face() -> np.ndarray:
    return np.ascontiguousarray(_core.generic_face_model_3d()[:, :2]).astype(np.float32)


def _flatten(points: np.ndarray, peaks=(50, 52)) -> np.ndarray:
    out = points.copy()
    for i in peaks:
        out[i, 1] = points[51, 1]
    return out


def default_lip_templates() -> dict:
    """{name: float32 (68, 2)} for the seven documented parametric templates."""
    base = _mean_face()
    width = float(np.linalg.norm(base[54] - base[48]))

    def moved(moves, points=None):
        out = (base if points is None else points).copy()
        for i, d in moves.items():
            out[i] += np.float32(d) * width
        return out

    templates = {name: moved(m) for name, m in _MOVES.items()}
    templates["flattened_bow"] = _flatten(base)
    templates["raised_peak_right_flattened"] = moved(_MOVES["raised_peak_right"], _flatten(base, peaks=(52,)))
    templates["notch_off_midline"] = moved(_MOVES["bow_off_midline"], moved(_MOVES["vermilion_notch"]))
    return templates
