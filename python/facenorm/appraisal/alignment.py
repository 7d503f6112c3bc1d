"""The canonical frame every appraisal model works in: a 224 x 224 crop where six stable points of
the face land, in the least-squares affine sense, on fixed places.

The six anchors are the two eye centres, the nasion (27), the nose tip (30) and the mouth corners
(48, 54). An affine fit (not a similarity) also evens out the eye-to-mouth distance, which is 9%
shorter relative to the eye distance in children under 6 than in adults (measured on UTKFace):
with it, an infant's upper lip and an adult's land on the same feature-map cells. The anchor
places are the symmetrized mean of 196 dlib-landmarked UTKFace and CelebA faces of every age, in
units of the eye distance around the eye midpoint; the mouth's own points (49-53, 55-67) are left
out, because a cleft moves them.
"""
from dataclasses import dataclass

import cv2
import numpy as np

from .._core import InputError, InputTypeError

__all__ = ["CROP_SIZE", "EYE_DISTANCE", "EYE_MIDPOINT", "ANCHOR_TEMPLATE", "anchor_points", "canonical_anchors",
           "check_landmarks", "aligning_matrix", "AlignedCrop", "align", "to_image_frame"]

CROP_SIZE = 224
EYE_DISTANCE = 80.0                   # px between the eye centres in the crop
EYE_MIDPOINT = (111.5, 72.0)         # crop px (the centre column: mirroring keeps it); chin near y = 214
# (x, y) in eye distances around the eye midpoint: eye centres, nasion, nose tip, mouth corners.
ANCHOR_TEMPLATE = np.array([[-0.5, 0.0], [0.5, 0.0], [0.0, -0.027], [0.0, 0.547],
                            [-0.451, 1.010], [0.451, 1.010]])


def anchor_points(landmarks: np.ndarray) -> np.ndarray:
    """The six anchors of 68 iBUG landmarks, (6, 2) float64."""
    lm = np.asarray(landmarks, dtype=np.float64)
    return np.stack([lm[36:42].mean(0), lm[42:48].mean(0), lm[27], lm[30], lm[48], lm[54]])


def canonical_anchors() -> np.ndarray:
    return ANCHOR_TEMPLATE * EYE_DISTANCE + np.asarray(EYE_MIDPOINT)


def check_landmarks(landmarks, who: str) -> np.ndarray:
    if not isinstance(landmarks, np.ndarray):
        raise InputTypeError(f"{who}: landmarks must be a NumPy array, got {type(landmarks).__name__}")
    if landmarks.shape != (68, 2):
        raise InputError(f"{who}: expected 68 (x, y) landmarks in iBUG order, shape (68, 2), got {landmarks.shape}")
    if not np.all(np.isfinite(landmarks)):
        raise InputError(f"{who}: landmarks contain NaN or infinity")
    return landmarks.astype(np.float64)


def aligning_matrix(landmarks: np.ndarray) -> np.ndarray:
    """(2, 3) affine taking image pixels to canonical-crop pixels, least squares on the anchors."""
    src = anchor_points(landmarks)
    dst = canonical_anchors()
    design = np.hstack([src, np.ones((len(src), 1))])
    solution, *_ = np.linalg.lstsq(design, dst, rcond=None)
    matrix = solution.T
    if abs(np.linalg.det(matrix[:, :2])) < 1e-8:
        raise InputError("alignment: the landmarks are degenerate (the anchor points are collinear)")
    return matrix


@dataclass
class AlignedCrop:
    image: np.ndarray      # uint8 (224, 224, 3) RGB
    landmarks: np.ndarray  # float64 (68, 2) in crop pixels
    matrix: np.ndarray     # (2, 3) image -> crop


def align(image: np.ndarray, landmarks: np.ndarray) -> AlignedCrop:
    """The canonical crop of a face. Big photos are first shrunk with area averaging, so a
    4000-px photo and a 200-px one reach the network with the same softness; where the crop
    leaves the photo, the photo is mirrored (tight pre-aligned crops such as UTKFace)."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise InputTypeError(f"alignment: expected a uint8 RGB NumPy image, got "
                             f"{getattr(image, 'dtype', type(image).__name__)}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"alignment: expected an (H, W, 3) RGB image, got shape {image.shape}")
    landmarks = check_landmarks(landmarks, "alignment")
    matrix = aligning_matrix(landmarks)
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    source = image
    if scale < 0.5:
        # Shrink to twice the crop's resolution first (INTER_AREA), then warp linearly.
        factor = 2.0 * scale
        size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
        source = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        fx, fy = size[0] / image.shape[1], size[1] / image.shape[0]
        # Pixel centres: x_small = (x + 0.5) * f - 0.5.
        matrix_small = matrix @ np.array([[1 / fx, 0, 0.5 / fx - 0.5], [0, 1 / fy, 0.5 / fy - 0.5], [0, 0, 1]])
    else:
        matrix_small = matrix
    crop = cv2.warpAffine(source, matrix_small, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT101)
    points = landmarks @ matrix[:, :2].T + matrix[:, 2]
    return AlignedCrop(crop, points, matrix)


def to_image_frame(plane: np.ndarray, matrix: np.ndarray, shape: tuple, interpolation=cv2.INTER_LINEAR,
                   border_value: float = 0.0) -> np.ndarray:
    """A crop-frame float plane (224, 224) warped back onto the photo's (H, W) pixels."""
    return cv2.warpAffine(np.ascontiguousarray(plane, dtype=np.float32), matrix, (shape[1], shape[0]),
                          flags=interpolation | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=border_value)
