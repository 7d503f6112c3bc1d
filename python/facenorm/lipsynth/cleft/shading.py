"""Texture and light for painted tissue: seeded band-limited noise, and the face's own local
brightness so a painted cavity or scar is lit like the skin around it."""
import cv2
import numpy as np

__all__ = ["LUMA", "band_noise", "local_light", "luminance"]

LUMA = np.float32([0.299, 0.587, 0.114])


def band_noise(rng: np.random.Generator, shape, sigma: float) -> np.ndarray:
    """Gaussian white noise blurred at `sigma` px and scaled to unit standard deviation."""
    white = rng.standard_normal(shape, dtype=np.float32)
    if sigma < 0.3:
        return white
    blurred = cv2.GaussianBlur(white, (0, 0), sigma)
    return blurred / max(float(blurred.std()), 1e-6)


def local_light(roi: np.ndarray, sigma: float, reference: float) -> np.ndarray:
    """The uint8 RGB ROI's blurred luminance relative to `reference` (the luminance at which the
    face's lip and skin colours were sampled), clipped to [0.6, 1.4]: a multiplier for painted
    colours."""
    h, w = roi.shape[:2]
    shrink = max(1, int(sigma // 3))  # a blur this wide loses nothing at 1/shrink resolution
    # shrunk before the luminance is taken: both are linear, and the shrunk image is small
    small = cv2.resize(roi, (max(1, w // shrink), max(1, h // shrink)), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32) @ LUMA
    light = cv2.resize(cv2.GaussianBlur(small, (0, 0), max(sigma / shrink, 0.5)), (w, h),
                       interpolation=cv2.INTER_LINEAR)
    return np.clip(light / max(reference, 1.0), 0.6, 1.4)


def luminance(rgb) -> float:
    return float(np.asarray(rgb, np.float32) @ LUMA)
