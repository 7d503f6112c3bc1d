"""The normalizer interface: a face in, the same face with its anomaly filtered out, out.

A normalizer keeps identity, pose, lighting and everything outside the anomaly, and returns an
image pixel-aligned with its input (same size), so that facenorm.score can compare the two.
"""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .._core import InputError, InputTypeError

__all__ = ["NormalizationResult", "Normalizer", "number_option", "check_face", "IdentityNormalizer"]


@dataclass
class NormalizationResult:
    image: np.ndarray                     # RGB uint8 (H, W, 3), pixel-aligned with the input
    changed: np.ndarray                   # float32 (H, W) in [0, 1]: where (and how much) it changed
    landmarks: Optional[np.ndarray] = None  # float32 (68, 2) of the normalized face, if known
    info: dict = field(default_factory=dict)  # JSON-friendly diagnostics (method-specific)


class Normalizer:
    """Subclasses set `name` and implement `_normalize`; `normalize` checks the inputs."""

    name = "base"

    def options(self) -> dict:
        """The options this instance was built with (recorded in datasets' params)."""
        return {}

    def normalize(self, image: np.ndarray, landmarks: np.ndarray) -> NormalizationResult:
        check_face(image, landmarks)
        result = self._normalize(image, landmarks)
        if result.image.shape != image.shape or result.image.dtype != np.uint8:
            raise InputError(f"normalizer '{self.name}' returned {result.image.dtype} {result.image.shape}; "
                             f"expected uint8 {image.shape}")
        return result

    def _normalize(self, image: np.ndarray, landmarks: np.ndarray) -> NormalizationResult:
        raise NotImplementedError

    def __repr__(self) -> str:
        opts = ",".join(f"{k}={v}" for k, v in self.options().items())
        return f"{self.name}:{opts}" if opts else self.name


def number_option(normalizer: str, option: str, value, low: float, high: float, kind=float):
    """An option given as a string (CLI) or a number, converted to `kind` and checked in [low, high];
    InputError names the normalizer, the option and what was expected."""
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not (low <= number <= high) or (kind is int and number != int(number)):
        raise InputError(f"{normalizer}: option {option}: expected {'an integer' if kind is int else 'a number'} "
                         f"from {low:g} to {high:g}, got {value!r}")
    return kind(number)


def check_face(image, landmarks) -> None:
    """The conventions of every facenorm function, with messages that say what was expected."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise InputTypeError(f"image: expected an RGB uint8 array (H, W, 3), got "
                             f"{getattr(image, 'dtype', type(image).__name__)}")
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 16:
        raise InputError(f"image: expected shape (H, W, 3) with H, W >= 16, got {image.shape}")
    if not isinstance(landmarks, np.ndarray) or landmarks.dtype != np.float32:
        raise InputTypeError(f"landmarks: expected a float32 array (68, 2), got "
                             f"{getattr(landmarks, 'dtype', type(landmarks).__name__)}")
    if landmarks.shape != (68, 2) or not np.all(np.isfinite(landmarks)):
        raise InputError(f"landmarks: expected 68 finite (x, y) points, shape (68, 2), got {landmarks.shape}")


class IdentityNormalizer(Normalizer):
    """`none`: returns the input unchanged - the baseline of the benchmark and the Siamese CNN."""

    name = "none"

    def _normalize(self, image, landmarks):
        return NormalizationResult(image.copy(), np.zeros(image.shape[:2], np.float32), landmarks.copy())
