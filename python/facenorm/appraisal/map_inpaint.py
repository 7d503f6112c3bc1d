"""`map-inpaint`: the JBHI 2025 two-phase automatic inpainting normalization, driven by the
PaDiM anomaly map.

    map -> threshold (calibrated on held-out normal faces) -> cleaned, dilated mask in the
        mouth-and-nose region (option region=face: anywhere in the face) -> inpaint
        -> map again on the result -> second pass on what remains

All of it runs in the canonical crop (224 px, eyes 80 px apart); the filled pixels are warped
back into the photo inside the mask only, so every pixel outside it is returned bit-identical.
The fill is the lower-face inpainting network trained here on normal faces (method=network,
inpainter.py; `facenorm train-inpainter`), OpenCV's Telea (method=telea, the fallback) or
Navier-Stokes (method=ns). By default (method=auto) it is the fill the anomaly model's calibration
was made with: the shipped calibration's is `network`.

    fn.normalize.get_normalizer("map-inpaint")
    fn.normalize.get_normalizer("map-inpaint:threshold=2.5,passes=1,method=ns")
    fn.normalize.get_normalizer("map-inpaint:method=network,inpainter=models/face_inpainter")
"""
from dataclasses import dataclass

import cv2
import numpy as np

from ..geometry import REGIONS
from ..normalize.base import NormalizationResult, Normalizer, number_option
from .alignment import CROP_SIZE, align, to_image_frame
from .anomaly_map import face_mask, region_masks, upsample_cells

__all__ = ["FILLS", "DEFAULT_THRESHOLD", "INPAINT_REGION", "DILATE_PX", "RADIUS_PX", "InpaintPasses",
           "inpaint_area", "hole_from_map", "fill_hole", "two_phase", "MapInpaintNormalizer", "photo_result"]

FILLS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS, "network": None}
DEFAULT_THRESHOLD = 3.0   # z of the standardized map; overridden by the model's calibrated value
# Holes only in the mouth-and-nose region (and the dilation's rim): the normalizer takes out what the
# appraisal rates; a watermark on the forehead or a collar at the jaw are left alone.
INPAINT_REGION = "mouth_nose"
DILATE_PX = 6             # crop px: about one feature cell, so the hole covers the anomaly's rim
RADIUS_PX = 5


@dataclass
class InpaintPasses:
    crop: np.ndarray          # the canonical crop as photographed
    normalized: np.ndarray    # the crop after every pass
    masks: list               # uint8 (224, 224) hole of each pass run
    maps: list                # (224, 224) map before each pass (and after the last)
    threshold: float
    cells: np.ndarray         # (27, 27) standardized cells of the crop as photographed

    @property
    def union(self) -> np.ndarray:
        out = np.zeros((CROP_SIZE, CROP_SIZE), np.uint8)
        for m in self.masks:
            out |= m
        return out


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def inpaint_area(crop_landmarks: np.ndarray, region: str) -> np.ndarray:
    """uint8 (224, 224), 1 where holes may be: the region (grown by the dilation) inside the face,
    or the whole face for region 'face'."""
    face = face_mask(crop_landmarks) > 0
    if region == "face":
        return face.astype(np.uint8)
    inside = region_masks(crop_landmarks)[region] > 0.5
    return (cv2.dilate(inside.astype(np.uint8), _disc(DILATE_PX)) > 0).astype(np.uint8) & face


def hole_from_map(crop_map: np.ndarray, area: np.ndarray, threshold: float) -> np.ndarray:
    """uint8 (224, 224), 255 = inpaint: map above threshold inside the area, specks removed, dilated."""
    hole = ((crop_map > threshold) & (area > 0)).astype(np.uint8) * 255
    if not hole.any():
        return hole
    hole = cv2.morphologyEx(hole, cv2.MORPH_OPEN, _disc(1))
    return cv2.dilate(hole, _disc(DILATE_PX)) & (area > 0).astype(np.uint8) * 255


def fill_hole(crop: np.ndarray, hole: np.ndarray, method: str, inpainter=None) -> np.ndarray:
    """The crop with the hole (uint8, nonzero = fill) filled by `method` (a key of FILLS);
    inpainter: the network for method=network (default: the shipped one)."""
    if method == "network":
        from .inpainter import default_inpainter
        return (inpainter or default_inpainter()).fill(crop, hole)
    return cv2.inpaint(crop, hole, RADIUS_PX, FILLS[method])


def two_phase(crop, crop_landmarks, model, threshold: float, passes: int = 2, method: str = "telea",
              first_cells=None, region: str = None, inpainter=None) -> InpaintPasses:
    """The passes on a canonical crop; stops early when the map has nothing above threshold.
    first_cells: the crop's map cells when already computed; region: where holes may be
    (default INPAINT_REGION); inpainter: the network of method=network (default: the shipped one)."""
    face = face_mask(crop_landmarks)
    area = inpaint_area(crop_landmarks, region or INPAINT_REGION)
    current = crop
    masks, maps, cells = [], [], []
    for k in range(passes):
        cells.append(first_cells if k == 0 and first_cells is not None else model.cells(current, face))
        crop_map = upsample_cells(cells[-1]) * face
        maps.append(crop_map)
        hole = hole_from_map(crop_map, area, threshold)
        if not hole.any():
            break
        current = fill_hole(current, hole, method, inpainter)
        masks.append(hole)
    else:
        maps.append(upsample_cells(model.cells(current, face)) * face)
    return InpaintPasses(crop, current, masks, maps, threshold, cells[0])


class MapInpaintNormalizer(Normalizer):
    name = "map-inpaint"

    def __init__(self, threshold="auto", passes="2", method="auto", model=None, region=INPAINT_REGION,
                 loaded_model=None, inpainter=None, calibration=None):
        """model: an anomaly model folder (default: the shipped one); loaded_model: an anomaly model
        already in memory (the appraisal shares its own); inpainter: the inpainting network's folder
        for method=network (default: the shipped models/face_inpainter); calibration: an
        AppraisalCalibration already loaded (default: the model folder's, read once)."""
        if method not in FILLS and method != "auto":
            from .._core import InputError
            raise InputError(f"map-inpaint: option method: expected auto, {', '.join(FILLS)}, got '{method}'")
        if region not in REGIONS + ("face",):
            from .._core import InputError
            raise InputError(f"map-inpaint: option region: expected lip, mouth, mouth_nose, face_no_eyes or face, got '{region}'")
        self.method, self.model_path, self.region, self.inpainter_path = method, model, region, inpainter
        self._inpainter = None
        self.passes = number_option("map-inpaint", "passes", passes, 1, 2, int)
        self.threshold = threshold if threshold == "auto" else number_option("map-inpaint", "threshold", threshold, 0.0, 50.0)
        self._model = loaded_model
        self._calibration = calibration

    @property
    def model(self):
        from .anomaly_model import load_anomaly_model
        if self._model is None:
            self._model = load_anomaly_model(self.model_path or None)
        return self._model

    @property
    def inpainter(self):
        """The inpainting network for method=network (None for the OpenCV fills), loaded once."""
        if self.fill != "network":
            return None
        if self._inpainter is None:
            from .inpainter import FaceInpainterModel, default_inpainter
            self._inpainter = FaceInpainterModel.load(self.inpainter_path) if self.inpainter_path else default_inpainter()
        return self._inpainter

    @property
    def calibration(self):
        """The calibration the threshold and the fill come from (the model folder's, read once)."""
        if self._calibration is None:
            from .calibration import AppraisalCalibration
            self._calibration = AppraisalCalibration.for_model(self.model)
        return self._calibration

    @property
    def fill(self) -> str:
        """The given method, or (auto) the one the model's calibration was made with."""
        if self.method != "auto":
            return self.method
        return self.calibration.fill()

    def resolved_threshold(self) -> float:
        """The given threshold, or the model's calibrated one (read once, not per photo)."""
        if self.threshold != "auto":
            return float(self.threshold)
        return self.calibration.inpaint_threshold(DEFAULT_THRESHOLD)

    def options(self) -> dict:
        opts = {}
        if self.threshold != "auto":
            opts["threshold"] = self.threshold
        if self.passes != 2:
            opts["passes"] = self.passes
        if self.method != "auto":
            opts["method"] = self.method
        if self.model_path:
            opts["model"] = self.model_path
        if self.region != INPAINT_REGION:
            opts["region"] = self.region
        if self.inpainter_path:
            opts["inpainter"] = self.inpainter_path
        return opts

    def run(self, image, landmarks):
        """(aligned crop, InpaintPasses): the crop-frame work, for callers that score in the crop."""
        aligned = align(image, landmarks)
        return aligned, two_phase(aligned.image, aligned.landmarks, self.model, self.resolved_threshold(),
                                  self.passes, self.fill, region=self.region, inpainter=self.inpainter)

    def _normalize(self, image, landmarks):
        aligned, passes = self.run(image, landmarks)
        return photo_result(image, landmarks, aligned, passes, self.fill)


def photo_result(image, landmarks, aligned, passes: InpaintPasses, method: str) -> NormalizationResult:
    """The normalized photo: the inpainted crop warped back, taken only inside the hole."""
    info = {"method": method, "threshold": round(passes.threshold, 3), "passes_run": len(passes.masks),
            "hole_pixels_crop": [int((m > 0).sum()) for m in passes.masks]}
    if not passes.masks:
        return NormalizationResult(image.copy(), np.zeros(image.shape[:2], np.float32), landmarks.copy(), info)
    shape = image.shape[:2]
    hole = to_image_frame(passes.union.astype(np.float32) / 255.0, aligned.matrix, shape, cv2.INTER_NEAREST) > 0.5
    filled = np.stack([to_image_frame(passes.normalized[..., c].astype(np.float32), aligned.matrix, shape)
                       for c in range(3)], axis=-1)
    out = image.copy()
    out[hole] = np.clip(filled[hole] + 0.5, 0, 255).astype(np.uint8)
    return NormalizationResult(out, hole.astype(np.float32), landmarks.copy(), info)
