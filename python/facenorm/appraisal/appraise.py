"""The default `facenorm score IMG`: appraisal with no reference and no anomalous training data.

    face -> canonical crop -> PaDiM map (evidence) -> two-phase inpainting (map-inpaint)
         -> deep-feature distance between the crop and its normalized version (JBHI 2025)
         -> anomaly = map evidence + feature evidence in the region -> score = -anomaly
         -> normality = the face's percentile among held-out normal faces (of its age group)

Both evidences are read inside the region (default mouth: the lips and the perioral skin up to
just below the nostrils, where a cleft lies) of the face's own landmarks in the crop: the map as
the mean of its highest 5% there (a cleft covers a part of the region, so the region mean would
dilute it), the feature distance as its mean there. The region and the fraction were chosen on
synthetic clefts of held-out faces (docs/results.md): `mouth` + top 5% separated every kind
better than `mouth_nose` + top 10% (e.g. unilateral incomplete 0.93 against 0.85 AUC), without
being tuned to the lip alone (`lip` measured a little higher still on the synthetic clefts, but
a real cleft's gap runs up the lip skin towards the nostril).
Each is divided by its spread on held-out normal faces before they are added (calibration.py).
"""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .. import _core
from .alignment import AlignedCrop
from .anomaly_map import REPORT_REGIONS, AnomalyMap, face_mask, region_masks
from .map_inpaint import InpaintPasses, MapInpaintNormalizer

__all__ = ["DEFAULT_REGION", "TOP_FRACTION", "top_mean", "Evidence", "Appraisal", "Appraiser"]

DEFAULT_REGION = "mouth"
TOP_FRACTION = 0.05


def top_mean(values: np.ndarray, weights: np.ndarray, fraction: float = TOP_FRACTION) -> float:
    """Mean of the highest `fraction` of the values where weights > 0.5."""
    inside = values[weights > 0.5]
    if inside.size == 0:
        raise _core.InputError("appraisal: the region is empty in the canonical crop (landmarks outside the face?)")
    k = max(1, int(round(fraction * inside.size)))
    return float(np.mean(np.partition(inside, inside.size - k)[-k:]))


@dataclass
class Evidence:
    map_top: float        # mean of the map's highest 5% in the region (z units)
    feature: float        # mean deep-feature distance, crop vs normalized crop, in the region
    feature_map: Optional[np.ndarray] = field(default=None, repr=False)  # (224, 224); None: nothing inpainted


@dataclass
class Appraisal:
    score: float                  # -anomaly: larger = more normal, 0 = the median held-out normal face
    anomaly: float
    normality: Optional[float]    # 0-100: percentile among held-out normal faces (of the age group)
    normality_group: str          # which normal faces that percentile is among
    region: str
    normalizer: str
    evidence: Evidence
    peak: dict
    region_heat: dict
    hole_pixels: int
    anomaly_map: AnomalyMap = field(repr=False)
    passes: InpaintPasses = field(repr=False)
    normality_note: Optional[str] = None

    def to_json(self) -> dict:
        doc = {"score": round(self.score, 6), "normality": None if self.normality is None else round(self.normality, 2),
               "region": self.region, "normalizer": self.normalizer, "normality_among": self.normality_group,
               "anomaly": round(self.anomaly, 6),
               "evidence": {"map_top": round(self.evidence.map_top, 4), "feature": round(self.evidence.feature, 6)},
               "peak": self.peak, "region_heat": self.region_heat,
               "inpainted": {"passes": len(self.passes.masks), "hole_pixels_crop": self.hole_pixels}}
        if self.normality_note:
            doc["normality_note"] = self.normality_note
        return doc


class Appraiser:
    """One loaded model set; `appraise(image, landmarks=None, age=None, region=...)`."""

    def __init__(self, model=None, calibration=None, inpainter=None):
        """model: an anomaly model or its folder (default: the shipped one); calibration: default
        the model folder's; inpainter: the inpainting network's folder when the calibration's fill
        is `network` (default: the shipped one). The fill is the calibration's: the normality
        percentiles hold for the fill they were made with."""
        from .anomaly_model import load_anomaly_model
        from .calibration import AppraisalCalibration
        self.model = load_anomaly_model(model)
        self.calibration = calibration if calibration is not None else AppraisalCalibration.for_model(self.model)
        # map-inpaint reads its threshold and fill from the same calibration (its method stays auto,
        # so the JSON names the normalizer plain "map-inpaint").
        self.normalizer = MapInpaintNormalizer(loaded_model=self.model, inpainter=inpainter,
                                               calibration=self.calibration)
        self._features = None

    def feature_distance(self, crop: np.ndarray, normalized: np.ndarray) -> np.ndarray:
        if self._features is None:
            from ..score.deep_features import DeepFeatureDistance
            self._features = DeepFeatureDistance(layers=("stage1", "stage2", "stage3"))
        return self._features.heatmap(crop, normalized)

    def evidence(self, aligned: AlignedCrop, passes: InpaintPasses, region: str, regions=None,
                 feature_map=None) -> Evidence:
        """regions, feature_map: the crop's region masks and feature distance when already computed
        (the calibration reads every region of one face)."""
        weights = (regions or region_masks(aligned.landmarks))[region]
        map_top = top_mean(passes.maps[0], weights)
        if not passes.masks:
            return Evidence(map_top, 0.0)
        heat = feature_map if feature_map is not None else self.feature_distance(aligned.image, passes.normalized)
        return Evidence(map_top, float(np.sum(heat * weights) / np.sum(weights)), heat)

    def final_heatmap(self, appraisal: "Appraisal") -> np.ndarray:
        """The deep-feature distance of the crop to its normalized version (zeros when nothing was
        inpainted): the figure's last panel, computed once by `appraise`."""
        heat = appraisal.evidence.feature_map
        return heat if heat is not None else np.zeros(appraisal.anomaly_map.crop_map.shape, np.float32)

    def appraise(self, image: np.ndarray, landmarks: Optional[np.ndarray] = None, age=None,
                 region: str = DEFAULT_REGION) -> Appraisal:
        from .anomaly_map import _checked_image, _landmarks_of
        from .normal_faces import age_group

        if region not in REPORT_REGIONS:
            raise _core.InputError(f"region: expected one of {', '.join(REPORT_REGIONS)}, got {region!r}")
        image = _checked_image(image)
        landmarks = np.ascontiguousarray(_landmarks_of(image, landmarks), dtype=np.float32)
        group = age_group(age)
        aligned, passes = self.normalizer.run(image, landmarks)
        regions = region_masks(aligned.landmarks)
        ev = self.evidence(aligned, passes, region, regions)
        anomaly = self.calibration.anomaly(ev, region)
        normality, among, note = self.calibration.normality(anomaly, region, group)
        amap = AnomalyMap(aligned, passes.cells, passes.maps[0], face_mask(aligned.landmarks), image.shape[:2], regions)
        return Appraisal(-anomaly, anomaly, normality, among, region, repr(self.normalizer), ev, amap.peak(),
                         amap.region_shares(), int(passes.union.astype(bool).sum()), amap, passes, note)
