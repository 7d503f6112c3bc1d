"""fn.anomaly_map(image, landmarks=None, model=None): where a face departs from normal faces of
every age, from pretrained features alone (no anomalous data).

The face is aligned to the canonical crop (alignment.py), embedded (features.py) and each cell's
embedding compared with the normal faces' Gaussian there (padim.py). The map is kept only inside
the face (the hull of the jaw and brows): background, hair, clothes and watermarks are not
evidence about the face.
"""
from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np

from .. import _core
from ..geometry import REGIONS
from .alignment import CROP_SIZE, AlignedCrop, align, to_image_frame

__all__ = ["REPORT_REGIONS", "SMOOTHING_SIGMA", "face_mask", "upsample_cells", "AnomalyMap", "region_masks",
           "anomaly_map"]

REPORT_REGIONS = REGIONS
SMOOTHING_SIGMA = 4.0  # crop px, as PaDiM smooths its upsampled map


def face_mask(crop_landmarks: np.ndarray) -> np.ndarray:
    """float32 (224, 224): 1 inside the convex hull of the jaw (0-16) and brows (17-26)."""
    mask = np.zeros((CROP_SIZE, CROP_SIZE), np.uint8)
    hull = cv2.convexHull(np.round(crop_landmarks[:27]).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    return mask.astype(np.float32)


def upsample_cells(cells: np.ndarray) -> np.ndarray:
    """(27, 27) cell values -> (224, 224) crop map, bilinear then Gaussian-smoothed."""
    plane = cv2.resize(cells.astype(np.float32), (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(plane, (0, 0), SMOOTHING_SIGMA)


@dataclass
class AnomalyMap:
    crop: AlignedCrop             # the canonical crop and its landmarks
    cells: np.ndarray             # (27, 27) standardized distances (0 = average normal face)
    crop_map: np.ndarray          # (224, 224) smoothed map in the crop, 0 outside the face
    face: np.ndarray              # (224, 224) face mask in the crop
    image_shape: tuple
    regions: dict = field(default_factory=dict)  # region -> (224, 224) mask in the crop

    @property
    def heat(self) -> np.ndarray:
        """The positive part of the map inside the face (the evidence of anomaly)."""
        return np.maximum(self.crop_map, 0.0) * self.face

    def image_map(self) -> np.ndarray:
        """The map on the photo's pixels (H, W), 0 outside the face."""
        return to_image_frame(self.crop_map * self.face, self.crop.matrix, self.image_shape)

    def peak(self) -> dict:
        """Where the map is highest inside the face: crop and photo pixels, and its value."""
        masked = np.where(self.face > 0, self.crop_map, -np.inf)
        y, x = np.unravel_index(int(np.argmax(masked)), masked.shape)
        inverse = cv2.invertAffineTransform(self.crop.matrix)
        px, py = inverse @ np.array([x, y, 1.0])
        return {"x": round(float(px), 1), "y": round(float(py), 1), "value": round(float(masked[y, x]), 3)}

    def region_shares(self) -> dict:
        """Share of the face's positive heat inside each region (0-1; regions overlap)."""
        heat = self.heat
        total = float(heat.sum())
        return {name: (round(float((heat * mask).sum()) / total, 4) if total > 0 else 0.0)
                for name, mask in self.regions.items()}


def region_masks(crop_landmarks: np.ndarray) -> dict:
    points = np.ascontiguousarray(crop_landmarks, dtype=np.float32)
    return {r: _core.region_mask(points, (CROP_SIZE, CROP_SIZE), r) for r in REPORT_REGIONS}


_finders = []


def _landmarks_of(image, landmarks):
    """The given landmarks, or the detected face's (one FaceFinder per process: loading dlib's
    predictor costs a second)."""
    if landmarks is not None:
        return landmarks
    if not _finders:
        from .normal_faces import FaceFinder
        _finders.append(FaceFinder())
    return _finders[0].landmarks(image)[0]


def anomaly_map(image: np.ndarray, landmarks: Optional[np.ndarray] = None, model=None) -> AnomalyMap:
    """The anomaly map of the face in `image` (uint8 RGB). landmarks: its 68 iBUG points (detected
    when None; NoFaceError if none). model: an anomaly model (PaDiM or distillation) or its folder
    (default: the shipped models/anomaly_padim)."""
    from .anomaly_model import load_anomaly_model

    model = load_anomaly_model(model)
    image = _checked_image(image)
    crop = align(image, _landmarks_of(image, landmarks))
    face = face_mask(crop.landmarks)
    cells = model.cells(crop.image, face)
    crop_map = upsample_cells(cells) * face
    return AnomalyMap(crop, cells, crop_map, face, image.shape[:2], region_masks(crop.landmarks))


def _checked_image(image):
    if not isinstance(image, np.ndarray):
        raise _core.InputTypeError(f"anomaly_map: image must be a NumPy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise _core.InputTypeError(f"anomaly_map: image must be uint8 RGB, got {image.dtype} (see facenorm.as_rgb8)")
    if image.ndim != 3 or image.shape[2] != 3:
        raise _core.InputError(f"anomaly_map: expected an (H, W, 3) RGB image, got shape {image.shape}")
    return image
