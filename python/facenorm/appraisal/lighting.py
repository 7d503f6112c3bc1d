"""Evening out exposure before the features: the crop's luminance is rescaled so that the face
(the jaw-and-brow hull) has one mean and spread, chroma untouched.

Without it the map's highest false alarms on held-out normal faces were under-exposed photos and
dark skin under dim light: the Gaussians learn a luminance that is mostly the camera's. Colour
(lipstick, a red mucosa, a dark cavity against the lip) is kept, because it is what an anomaly of
the lip looks like.
"""
import cv2
import numpy as np

__all__ = ["FACE_MEAN", "FACE_STD", "even_lighting"]

FACE_MEAN = 150.0
FACE_STD = 40.0


def even_lighting(crop: np.ndarray, face: np.ndarray) -> np.ndarray:
    """uint8 RGB crop, float (H, W) face mask -> uint8 RGB with the face's luma at 150 +- 40."""
    ycc = cv2.cvtColor(crop, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    inside = face > 0.5
    luma = ycc[..., 0]
    values = luma[inside] if inside.any() else luma.ravel()
    mean, std = float(values.mean()), float(values.std())
    ycc[..., 0] = (luma - mean) * (FACE_STD / max(std, 4.0)) + FACE_MEAN
    return cv2.cvtColor(np.clip(ycc + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_YCrCb2RGB)
