"""Anomaly heatmaps, the score S and normality (PLOS ONE 2023 §1.3-1.6); docs/scoring.md.

    heat = fn.anomaly_heatmap(original, normalized)            # pse, YCbCr, 3x3 erosion
    mask = fn.region_mask(landmarks, original.shape[:2], "mouth_nose")
    s = fn.anomaly_score(heat, mask)                           # larger = more normal
    result = fn.score.score_pair(original, normalized, landmarks)  # + normality 0-100
"""
from .heatmaps import COLOURS, METHODS, VARIANTS, anomaly_heatmap  # noqa: F401
from .scoring import SCORE_CAP, SCORE_FLOOR, HeatmapScore, anomaly_score, anomaly_score_details  # noqa: F401
from .calibration import (  # noqa: F401
    Calibration, NormalityCurve, calibration_key, default_calibration, fit_normality_curve,
)
from .pair_score import DEFAULT_REGION, PairScore, score_pair  # noqa: F401

__all__ = ["COLOURS", "METHODS", "VARIANTS", "anomaly_heatmap", "SCORE_CAP", "SCORE_FLOOR", "HeatmapScore",
           "anomaly_score", "anomaly_score_details", "Calibration", "NormalityCurve", "calibration_key",
           "default_calibration", "fit_normality_curve", "DEFAULT_REGION", "PairScore", "score_pair"]
