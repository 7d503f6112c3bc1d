"""A crude appearance anomaly for tests and quick checks: a dark gap pasted through one side of
the upper lip (a stand-in for an unrepaired cleft's cavity, not a realistic one; the realistic
synthesizer is facenorm.synthesize_cleft). Returns the image and the pasted region."""
import cv2
import numpy as np

__all__ = ["paste_gap"]


def paste_gap(image: np.ndarray, landmarks: np.ndarray, side: int = 1, severity: float = 1.0):
    """(image with the gap, bool mask of the changed pixels). side +1: image right of the bow,
    -1: left. The gap runs from the upper lip's lower edge (points 61-63) to halfway to the
    nostril sill, a quarter of the mouth width at severity 1."""
    lm = np.asarray(landmarks, dtype=np.float64)
    width = np.linalg.norm(lm[54] - lm[48])
    top_lip = lm[50] if side < 0 else lm[52]
    inner = lm[61] if side < 0 else lm[63]
    nostril = lm[32] if side < 0 else lm[34]
    bottom = inner
    top = top_lip + 0.5 * severity * (nostril - top_lip)
    half = 0.125 * width * max(severity, 1e-3) / 2 + 1.0
    poly = np.array([bottom + [-half, 0], bottom + [half, 0], top + [half * 0.4, 0], top + [-half * 0.4, 0]])
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(poly).astype(np.int32), 255)
    alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), max(0.6, width / 80))
    cavity = np.array([45, 12, 18], np.float32)
    out = image.astype(np.float32) * (1 - alpha[..., None]) + cavity * alpha[..., None]
    out = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return out, np.any(out != image, axis=2)
