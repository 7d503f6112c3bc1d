"""Checks of synthesize_cleft's arguments: every refusal names what was expected."""
import numpy as np

from ..._core import InputError, InputTypeError

__all__ = ["KINDS", "SIDES", "USED_LANDMARKS", "checked_image", "checked_landmarks", "checked_choice"]

KINDS = ("unilateral_incomplete", "unilateral_complete", "bilateral_incomplete", "bilateral_complete", "repaired")
SIDES = ("left", "right", "both")  # the subject's side: "left" is the image right
USED_LANDMARKS = np.arange(27, 68)  # nose, eyes and mouth: what the synthesizer measures and moves


def checked_image(image) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise InputTypeError(f"image: expected a NumPy uint8 (H, W, 3) RGB array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise InputTypeError(f"image: expected uint8 (H, W, 3) RGB, got {image.dtype}")
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 16:
        raise InputError(f"image: expected (H, W, 3) RGB of at least 16 x 16 pixels, got shape {image.shape}")
    return np.ascontiguousarray(image)


def checked_landmarks(landmarks, shape) -> np.ndarray:
    a = np.asarray(landmarks)
    if a.dtype != np.float32:
        raise InputTypeError(f"landmarks: expected float32 (68, 2), got {a.dtype}")
    if a.shape != (68, 2) or not np.all(np.isfinite(a)):
        raise InputError(f"landmarks: expected 68 finite (x, y) points, got shape {a.shape}")
    h, w = shape[:2]
    p = a[USED_LANDMARKS]
    outside = USED_LANDMARKS[(p[:, 0] < 0) | (p[:, 1] < 0) | (p[:, 0] > w - 1) | (p[:, 1] > h - 1)]
    if len(outside):
        raise InputError(f"landmarks {outside.tolist()} lie outside the {w}x{h} image; the nose, eyes and "
                         "mouth (27-67) must be inside it")
    return a


def checked_choice(kind: str, side: str, severity) -> tuple:
    """(kind, sides): the cleft sides as a tuple of "left"/"right"."""
    if kind not in KINDS:
        raise InputError(f"kind: expected one of {', '.join(KINDS)}, got '{kind}'")
    if side not in SIDES:
        raise InputError(f"side: expected one of {', '.join(SIDES)} (the subject's side), got '{side}'")
    if kind.startswith("unilateral") and side == "both":
        raise InputError(f"side: a {kind} cleft has one side, 'left' or 'right'; got 'both'")
    if isinstance(severity, bool) or not isinstance(severity, (int, float, np.floating, np.integer)) \
            or not 0.0 <= float(severity) <= 1.0:
        raise InputError(f"severity: expected a number in [0, 1], got {severity!r}")
    sides = ("right", "left") if kind.startswith("bilateral") or side == "both" else (side,)
    return kind, sides
