"""LT-v2 target landmarks: where the template's outer upper lip 49-53 lands on the control face.

Two constructions, chosen by `anchor`:

| anchor | x of 49-53 | y of 49-53 | rotation |
|---|---|---|---|
| "corner" (default) | the template's, in mouth widths from its corner 48, placed from the control's corner 48 | the template's, in mouth widths from its 51, placed at the control's 51 | none: the image's own axes |
| "bow" | offsets from the template's 51 along its corner line, placed at the control's 51 | offsets from 51 across the corner line | template corner line turned onto the control's |

"corner" is the official code of the ICMI 2024 paper (`combine_lks`: both shapes divided by
their mouth width |54 - 48| with corner 48 as origin; x taken from the template, y shifted so the
template's 51 lands on the control's). It keeps the template's bow position relative to the
corner, so a bow off the midline transfers. The official code truncates the result to whole
pixels (its dlib points are integers); facenorm keeps sub-pixel positions. "bow" is facenorm's
earlier construction (the C++ `_core.lip_transform_v2_landmarks`): x anchored at 51 removes the
bow's off-midline shift, and the rotation follows a tilted face's corner line.

Severity s in [0, 1] moves each point the fraction s of the way to its target.
"""
import numpy as np

from .. import _core

__all__ = ["LT_V2_ANCHORS", "check_anchor", "official_upper_lip", "lip_transform_v2_landmarks"]

LT_V2_ANCHORS = ("corner", "bow")


def check_anchor(anchor: str) -> str:
    if anchor not in LT_V2_ANCHORS:
        raise _core.InputError(f"anchor: expected one of {', '.join(LT_V2_ANCHORS)}, got '{anchor}'")
    return anchor


def _points(landmarks, what: str) -> np.ndarray:
    a = np.asarray(landmarks)
    if a.dtype != np.float32:
        raise _core.InputTypeError(f"{what}: expected float32 (68, 2), got {a.dtype}")
    if a.shape != (68, 2) or not np.all(np.isfinite(a)):
        raise _core.InputError(f"{what}: expected 68 finite (x, y) points, got shape {a.shape}")
    return a.astype(np.float64)


def _mouth_width(points: np.ndarray, what: str) -> float:
    width = float(np.linalg.norm(points[54] - points[48]))
    if not width > 1e-3:
        raise _core.InputError(f"{what}: mouth corners 48 and 54 coincide; expected a mouth of positive width")
    return width


def official_upper_lip(control: np.ndarray, template: np.ndarray) -> np.ndarray:
    """The official targets of 49-53 (float64 (5, 2)): template in mouth widths from its corner
    48, x placed from the control's 48, y from the control's 51."""
    wc, wt = _mouth_width(control, "control landmarks"), _mouth_width(template, "lip template")
    normalized = (template[49:54] - template[48]) / wt
    normalized[:, 1] += (control[51, 1] - control[48, 1]) / wc - (template[51, 1] - template[48, 1]) / wt
    return control[48] + wc * normalized


def lip_transform_v2_landmarks(control, template, severity: float = 1.0, anchor: str = "corner") -> np.ndarray:
    """Target landmarks of LT-v2 (float32 (68, 2)): only 49-53 move. See the module docstring."""
    if check_anchor(anchor) == "bow":
        return _core.lip_transform_v2_landmarks(control, template, severity)
    c, t = _points(control, "control landmarks"), _points(template, "lip template")
    if not 0.0 <= severity <= 1.0:
        raise _core.InputError(f"severity: expected a value in [0, 1], got {severity}")
    out = c.copy()
    out[49:54] += severity * (official_upper_lip(c, t) - c[49:54])
    return out.astype(np.float32)
