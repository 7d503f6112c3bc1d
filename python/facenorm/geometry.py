"""Face-scale geometry shared by the scoring, calibration and normalization code: the eye
distance of 68 landmarks, and resampling a face (and its landmarks) to a given eye distance."""
import numpy as np

__all__ = ["REGIONS", "eye_distance", "resample_to_eye_distance"]

# The score regions of _core.region_mask (docs/scoring.md), in one place for every caller and CLI.
REGIONS = ("lip", "mouth", "mouth_nose", "face_no_eyes")


def eye_distance(landmarks: np.ndarray) -> float:
    """Distance between the eye centres (mean of points 36-41 and 42-47), pixels."""
    return float(np.linalg.norm(landmarks[42:48].mean(0) - landmarks[36:42].mean(0)))


def resample_to_eye_distance(images, landmarks: np.ndarray, target: float, tolerance: float = 0.05):
    """(images, landmarks, factor) with every image of `images` (same size) resampled so the eyes
    are `target` px apart: area averaging when shrinking, bilinear when enlarging; pixel centres
    map as (p + 0.5) * factor - 0.5. Within `tolerance` of the target nothing is resampled and
    factor is 1 (erosion and soft masks work in pixels: only at one face scale do they mean the
    same thing)."""
    import cv2

    factor = target / eye_distance(landmarks)
    if abs(factor - 1) < tolerance:
        return tuple(images), landmarks, 1.0
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    out = tuple(np.ascontiguousarray(cv2.resize(im, None, fx=factor, fy=factor, interpolation=interpolation))
                for im in images)
    points = np.ascontiguousarray(((landmarks + 0.5) * factor - 0.5).astype(np.float32))
    return out, points, factor
