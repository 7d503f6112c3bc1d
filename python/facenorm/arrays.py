"""Explicit conversions into the one image layout the core accepts."""
import numpy as np

from ._core import InputError, InputTypeError

__all__ = ["as_rgb8"]


def as_rgb8(image) -> np.ndarray:
    """Return `image` as a C-contiguous uint8 (H, W, 3) RGB array.

    Accepts grayscale (H, W), RGB (H, W, 3) and RGBA (H, W, 4, alpha dropped) arrays of dtype
    uint8, uint16 (scaled by 255/65535) or float in [0, 1]. This is the only place facenorm
    converts pixel types; the kernels themselves reject anything but uint8 RGB.
    """
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise InputError(f"as_rgb8: expected (H, W), (H, W, 3) or (H, W, 4), got shape {a.shape}")
    a = a[:, :, :3]
    if a.dtype == np.uint8:
        pass
    elif a.dtype == np.uint16:
        a = np.round(a.astype(np.float64) * (255.0 / 65535.0)).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise InputError("as_rgb8: the float image holds NaN or inf")
        a = np.round(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)
    else:
        raise InputTypeError(f"as_rgb8: expected uint8, uint16 or float pixels, got {a.dtype}")
    return np.ascontiguousarray(a)
