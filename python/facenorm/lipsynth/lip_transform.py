"""LT-v2: transfer a template's upper-lip shape onto a control face."""
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from .. import _core
from .fold_guard import warp_with_fold_guard
from .lt_v2 import check_anchor, lip_transform_v2_landmarks
from .templates import choose_template, load_lip_template

__all__ = ["LipTransform", "lip_transform_v2", "lip_transform_v1"]


@dataclass
class LipTransform:
    image: np.ndarray             # warped RGB uint8
    landmarks_before: np.ndarray  # float32 (68, 2)
    landmarks_after: np.ndarray   # float32 (68, 2): ground truth by construction
    moved_mask: np.ndarray        # uint8 (H, W), 255 where pixels were resampled
    template: str                 # name or path of the template used
    severity: float               # the severity applied (see severity_requested)
    seed: Optional[int]
    severity_requested: Optional[float] = None  # differs from severity when a fold was avoided
    anchor: Optional[str] = None  # LT-v2's construction ("corner": the official code's, or "bow")

    def to_json(self) -> dict:
        def pts(a):
            return [[round(float(x), 3), round(float(y), 3)] for x, y in a]
        return {"landmarks_before": pts(self.landmarks_before), "landmarks_after": pts(self.landmarks_after),
                "template": self.template, "severity": self.severity, "seed": self.seed,
                "severity_requested": self.severity_requested, "anchor": self.anchor}


def _resolve_template(template, seed):
    if isinstance(template, dict):  # several: a seeded random choice, recorded by name
        return choose_template(template, seed)
    if isinstance(template, (str, Path)):
        return str(template), load_lip_template(template)
    array = np.asarray(template)
    if array.dtype != np.float32:
        raise _core.InputTypeError(f"lip template: expected float32 (68, 2), got {array.dtype}")
    return "<array>", array


def lip_transform_v2(image, landmarks, template, severity: float = 1.0, seed: Optional[int] = None,
                     on_fold: str = "reduce", anchor: str = "corner") -> LipTransform:
    """ICMI 2024 LT-v2 on one face. template: a file path, a float32 (68, 2) array, or a dict
    {name: array} to draw from with `seed`. severity in [0, 1]; 0 returns the image bit for bit.
    on_fold: "reduce" (default) lowers the severity just enough to keep the warp from folding a
    thin or open lip, and records it; "raise" raises the kernel's InputError instead.
    anchor: "corner" (default, the official code's construction) or "bow" (facenorm's earlier
    one: x anchored at 51, rotated to the corner line); lipsynth.lt_v2 describes both."""
    check_anchor(anchor)  # before any work, so a typo is not hidden by another error
    name, points = _resolve_template(template, seed)
    applied, after, warped, mask = warp_with_fold_guard(
        image, landmarks, lambda s: lip_transform_v2_landmarks(landmarks, points, s, anchor), float(severity), on_fold)
    return LipTransform(warped, landmarks.copy(), after, mask, name, applied, seed, float(severity), anchor)


def lip_transform_v1(image, landmarks, transform: str, magnitude: float = 1.0,
                     on_fold: str = "reduce") -> LipTransform:
    """LT-v1 on one face: one of LT_V1_TRANSFORMS at a magnitude in [0, 1]; 0 is the identity.
    on_fold as in lip_transform_v2."""
    from .lt_v1 import lt_v1_landmarks

    applied, after, warped, mask = warp_with_fold_guard(
        image, landmarks, lambda s: lt_v1_landmarks(landmarks, transform, s), float(magnitude), on_fold)
    return LipTransform(warped, landmarks.copy(), after, mask, transform, applied, None, float(magnitude))
