"""LT-v1: the earlier strategy (Rosero et al., compared in ICMI 2024 section 5.2) — fixed
parametric displacements of upper-lip landmarks, proportional to the control's own lip size.

Sizes: W = mouth width |54 - 48|, H = upper-lip height (distance of 51 from the line 48-54,
at least 0.1 W). Directions are in the control's mouth frame (u along 48->54, v perpendicular,
pointing down), so tilted faces get tilted displacements. magnitude in [0, 1] scales linearly.

| name | at magnitude 1 | repair outcome |
|---|---|---|
| raised_peak_right | 50 up 0.5 H, 49 up 0.25 H | raised peak, subject's right (image left) |
| raised_peak_left | 52 up 0.5 H, 53 up 0.25 H | raised peak, subject's left (image right) |
| bow_off_midline | 50, 51, 52 moved 0.08 W along u | bow misaligned with the facial midline |
| vermilion_notch | 51 up 0.4 H | notch at the bow |
| asymmetric_commissures | 54 up 0.06 W, 53 up 0.03 W | one mouth corner higher |
| flattened_bow | 50, 52 moved to 51's height | flattened cupid's bow |
| thin_lip_right | 49, 50 down 0.35 H (towards the inner lip) | thinned vermilion on one side (scarring) |
"""
import numpy as np

from .. import _core

__all__ = ["LT_V1_TRANSFORMS", "lt_v1_landmarks"]

LT_V1_TRANSFORMS = ("raised_peak_right", "raised_peak_left", "bow_off_midline", "vermilion_notch",
                    "asymmetric_commissures", "flattened_bow", "thin_lip_right")


def lt_v1_landmarks(landmarks: np.ndarray, name: str, magnitude: float = 1.0) -> np.ndarray:
    """The target landmarks of one LT-v1 displacement (float32 (68, 2))."""
    if name not in LT_V1_TRANSFORMS:
        raise _core.InputError(f"LT-v1 transform: expected one of {', '.join(LT_V1_TRANSFORMS)}; got '{name}'")
    if not 0.0 <= magnitude <= 1.0:
        raise _core.InputError(f"magnitude: expected a value in [0, 1], got {magnitude}")
    p = landmarks.astype(np.float64)
    width = np.linalg.norm(p[54] - p[48])
    if not width > 1e-3:
        raise _core.InputError("landmarks: mouth corners 48 and 54 coincide")
    u = (p[54] - p[48]) / width
    v = np.array([-u[1], u[0]])  # points down in the image
    height = max(abs((p[51] - p[48]) @ v), 0.1 * width)
    up = -v
    moves = {
        "raised_peak_right": {50: 0.5 * height * up, 49: 0.25 * height * up},
        "raised_peak_left": {52: 0.5 * height * up, 53: 0.25 * height * up},
        "bow_off_midline": {i: 0.08 * width * u for i in (50, 51, 52)},
        "vermilion_notch": {51: 0.4 * height * up},
        "asymmetric_commissures": {54: 0.06 * width * up, 53: 0.03 * width * up},
        "flattened_bow": {i: ((p[51] - p[i]) @ v) * v for i in (50, 52)},
        "thin_lip_right": {49: 0.35 * height * v, 50: 0.35 * height * v},
    }[name]
    out = p.copy()
    for i, d in moves.items():
        out[i] += magnitude * d
    return out.astype(np.float32)
