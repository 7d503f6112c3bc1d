"""Scoring one (original, normalized) pair inside a landmark region: heatmap, S, normality."""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .. import _core
from ..geometry import resample_to_eye_distance
from .calibration import Calibration, calibration_key, default_calibration
from .heatmaps import DEFAULT_COLOUR, DEFAULT_EROSION, DEFAULT_METHOD, anomaly_heatmap
from .scoring import HeatmapScore, anomaly_score_details

__all__ = ["DEFAULT_REGION", "PairScore", "canonical_mean_error_score", "score_pair"]

DEFAULT_REGION = "mouth_nose"  # the PLOS ONE paper's "mouth only" setting (r = 0.942)


@dataclass
class PairScore:
    score: float              # S of eq. 6; larger = more normal
    normality: Optional[float]  # 0-100 (calibrated), None if this configuration has no calibration
    region: str
    normalizer: str
    method: str
    colour: str
    erosion: int
    pixels: float             # N: pixels inside the region mask
    frobenius: float
    capped: bool
    mean_error_score: float   # S - ln(N)/2, resolution-free
    heatmap: np.ndarray       # float32 (H, W, C) or (H, W)
    mask: np.ndarray          # float32 (H, W)
    normality_note: Optional[str] = None  # why normality is None

    def to_json(self) -> dict:
        """The `facenorm score --json` document (DESIGN.md keys first, then the details)."""
        return {"score": round(self.score, 6), "normality": self.normality, "region": self.region,
                "normalizer": self.normalizer, "pixels": round(self.pixels, 3), "method": self.method,
                "colour": self.colour, "erosion": self.erosion, "capped": self.capped,
                "frobenius": round(self.frobenius, 6), "mean_error_score": round(self.mean_error_score, 6),
                **({"normality_note": self.normality_note} if self.normality_note else {})}


def canonical_mean_error_score(original, normalized, landmarks, region, method, colour, erosion, soft_sigma,
                               target_eye_distance: float) -> float:
    """The resolution-free score with the pair resampled so the eyes are `target_eye_distance`
    apart: erosion works in pixels, so only at one face scale does x mean the same thing."""
    (a, b), points, factor = resample_to_eye_distance((original, normalized), landmarks, target_eye_distance)
    heatmap = anomaly_heatmap(a, b, method=method, colour=colour, erosion=erosion)
    mask = _core.region_mask(points, a.shape[:2], region, soft_sigma * factor)
    return anomaly_score_details(heatmap, mask).mean_error_score


def score_pair(original: np.ndarray, normalized: np.ndarray, landmarks: np.ndarray,
               region: str = DEFAULT_REGION, method: str = DEFAULT_METHOD, colour: str = DEFAULT_COLOUR,
               erosion: int = DEFAULT_EROSION, soft_sigma: float = 0.0, normalizer: str = "reference",
               calibration: Optional[Calibration] = None) -> PairScore:
    """Heatmap of original vs normalized, S inside `region` of the original's landmarks, and the
    normality from the calibration curve of (normalizer, method, colour, erosion, region),
    evaluated with the pair resampled to the calibration faces' eye distance.

    normalizer: what made `normalized` ("reference": a true normal twin; or the normalizer's
    name, as `facenorm score --normalizer` passes it). Without a curve for it, normality is None
    and normality_note says why, exactly as the CLI reports it."""
    mask = _core.region_mask(landmarks, original.shape[:2], region, soft_sigma)
    if method == "pse":  # the fused kernel: one pass, bit-identical to heatmap + score
        d, heatmap = _core.pse_score(original, normalized, mask, colour, erosion, True)
        details = HeatmapScore(float(d["score"]), float(d["frobenius"]), float(d["pixels"]), bool(d["capped"]))
    else:
        heatmap = anomaly_heatmap(original, normalized, method=method, colour=colour, erosion=erosion)
        details = anomaly_score_details(heatmap, mask)
    calibration = calibration if calibration is not None else default_calibration()
    key = calibration_key(normalizer, method, colour, erosion, region)
    normality = None
    if key in calibration.curves:
        target = calibration.info.get("eye_distance")
        x = details.mean_error_score if not target else canonical_mean_error_score(
            original, normalized, landmarks, region, method, colour, erosion, soft_sigma, float(target))
        normality = calibration.normality(key, x)
    note = None if normality is not None else (
        f"no normality calibration for normalizer '{normalizer}' ({method}, {colour}, erosion {erosion}, "
        f"region {region}); make one with `facenorm calibrate-score` (docs/scoring.md)")
    return PairScore(details.score, normality, region, normalizer,
                     method, colour, int(erosion), details.pixels, details.frobenius, details.capped,
                     details.mean_error_score, heatmap, mask, note)
