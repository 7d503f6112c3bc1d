"""Eqs. 3-6 of the PLOS ONE 2023 paper written out in float64 NumPy: the slow reference that the
C++ kernels (facenorm._core) are tested against (tests/python/test_score_kernels.py) and timed
against (bench/bench_score_reference.py). Kept beside the kernels, as pytorch3d keeps its naive ops."""
import math

import numpy as np

BT601 = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]])
OFFSETS = np.array([16.0, 128.0, 128.0])
SCORE_FLOOR = 1e-9


def colour(image: np.ndarray, space: str) -> np.ndarray:
    """Eq. 3: RGB as float 0-255, or BT.601 YCbCr with offsets from R' = R / 255."""
    x = image.astype(np.float64)
    return x if space == "rgb" else OFFSETS + (x / 255.0) @ BT601.T


def min_filter(h: np.ndarray, size: int, fast: bool = False) -> np.ndarray:
    """Eq. 5: minimum over a size x size square, border replicated. fast: OpenCV's erode (the
    same numbers, tested equal) instead of the loop over offsets."""
    if size <= 1:
        return h.copy()
    if fast:
        import cv2
        return cv2.erode(h, np.ones((size, size), np.uint8), borderType=cv2.BORDER_REPLICATE)
    r = size // 2
    rows, cols = h.shape[:2]
    pad = ((r, r), (r, r)) + ((0, 0),) * (h.ndim - 2)
    p = np.pad(h, pad, mode="edge")
    out = np.full(h.shape, np.inf)
    for dy in range(size):
        for dx in range(size):
            out = np.minimum(out, p[dy:dy + rows, dx:dx + cols])
    return out


def pse(a: np.ndarray, b: np.ndarray, space: str = "ycbcr", erosion: int = 3, fast: bool = False) -> np.ndarray:
    """Eq. 4 then eq. 5: the eroded pixelwise squared error, float64 (H, W, 3)."""
    return min_filter((colour(a, space) - colour(b, space)) ** 2, erosion, fast)


def score(h: np.ndarray, mask=None) -> dict:
    """Eq. 6: S = -ln(||H||_F / N), ||H||_F = sqrt(sum_p m_p sum_c H), N = sum_p m_p."""
    h = np.asarray(h, np.float64)
    if h.ndim == 2:
        h = h[:, :, None]
    m = np.ones(h.shape[:2]) if mask is None else mask.astype(np.float64)
    frobenius = math.sqrt((m[:, :, None] * h).sum())
    pixels = m.sum()
    energy = frobenius / pixels
    return {"score": -math.log(max(energy, SCORE_FLOOR)), "frobenius": frobenius, "pixels": pixels,
            "capped": energy < SCORE_FLOOR}
