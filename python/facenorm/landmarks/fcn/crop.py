"""The square grayscale face crop the cascaded FCN sees (the AFLFP paper crops the detector's box
and resizes it to 96 x 96), and the maps between crop and image coordinates.

The crop is a square about the detector box, larger than it (dlib's HOG box cuts the jaw and the
brows' ends), so the whole landmark set lies inside: side = SCALE x the box's mean side, centre
moved down by SHIFT_DOWN box sides. Measured on the 1,963 CelebAMask-HQ training samples of
docs/results.md: 1 point in 133,000 falls outside the crop (by at most 2 px).
"""
import cv2
import numpy as np

from ..._core import InputError

__all__ = ["SIDE", "SCALE", "SHIFT_DOWN", "box_corners", "crop_transform", "to_crop", "from_crop", "gray_crop"]

SIDE = 96
SCALE = 1.6
SHIFT_DOWN = 0.04


def box_corners(box) -> np.ndarray:
    """(x0, y0, x1, y1) float64 from a FaceBox or a sequence of four numbers."""
    values = box.to_list()[:4] if hasattr(box, "to_list") else list(box)[:4]
    b = np.asarray(values, np.float64)
    if b.shape != (4,) or not np.all(np.isfinite(b)) or b[2] <= b[0] or b[3] <= b[1]:
        raise InputError(f"box: expected (x0, y0, x1, y1) with x1 > x0 and y1 > y0, got {values}")
    return b


def crop_transform(box, scale: float = SCALE, shift_down: float = SHIFT_DOWN, side: int = SIDE) -> np.ndarray:
    """2 x 3 affine map image -> crop pixels for the face `box`."""
    x0, y0, x1, y1 = box_corners(box)
    size = 0.5 * ((x1 - x0) + (y1 - y0))
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1) + shift_down * size
    k = side / (scale * size)
    # pixel centres: image point (cx, cy) goes to the crop's centre (side - 1) / 2
    return np.array([[k, 0.0, (side - 1) / 2 - k * cx], [0.0, k, (side - 1) / 2 - k * cy]])


def to_crop(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    p = np.asarray(points, np.float64)
    return (p @ transform[:, :2].T + transform[:, 2]).astype(np.float32)


def from_crop(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    inverse = cv2.invertAffineTransform(transform)
    return to_crop(points, inverse)


def gray_crop(image: np.ndarray, transform: np.ndarray, side: int = SIDE) -> np.ndarray:
    """uint8 (side, side) grayscale crop of an RGB (or gray) uint8 image; outside is edge-replicated."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise InputError(f"image: expected uint8 (H, W[, 3]), got {image.dtype} {image.shape}")
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    k = transform[0, 0]
    if k < 0.5:  # strong downscale: area-average first so the crop is not aliased
        f = max(1, int(0.5 / k))
        gray = cv2.resize(gray, (gray.shape[1] // f, gray.shape[0] // f), interpolation=cv2.INTER_AREA)
        # resized pixel p' holds the original's f x f block centred at f p' + (f - 1) / 2
        transform = np.hstack([transform[:, :2] * f, (transform[:, 2] + transform[:, :2].sum(1) * (f - 1) / 2)[:, None]])
    return cv2.warpAffine(gray, transform, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
