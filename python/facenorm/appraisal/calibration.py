"""Calibration of the appraisal on held-out normal faces of every age (never the fitting ones).

Two things are fitted, per region:
- the scales that put the two evidences on one footing: anomaly = map_top / s_map + feature / s_feat,
  centred so that the median held-out normal face has anomaly 0;
- the sorted anomalies of those faces, overall and per age group, so normality is a percentile:
  normality = 100 x (share of held-out normal faces at least as anomalous), 50 = a median normal
  face, 3 = only 3% of normal faces look as anomalous.
It lives beside the anomaly model (calibration.json), because it is only valid for that model.
"""
import os
from typing import Optional

import numpy as np

from .. import _core
from ..files import atomic_json

__all__ = ["FILE", "FORMAT", "MIN_GROUP", "AppraisalCalibration", "fit_calibration", "save_calibration"]

FILE = "calibration.json"
FORMAT = "facenorm-appraisal-calibration"
MIN_GROUP = 30   # fewer held-out faces in an age group: fall back to all ages, and say so


class AppraisalCalibration:
    def __init__(self, document: dict, path: Optional[str] = None):
        self.doc, self.path = document, path

    @classmethod
    def for_model(cls, model) -> "AppraisalCalibration":
        if model.folder is None or not os.path.isfile(os.path.join(model.folder, FILE)):
            return cls({"format": FORMAT, "regions": {}}, None)
        return cls.load(os.path.join(model.folder, FILE))

    @classmethod
    def load(cls, path) -> "AppraisalCalibration":
        import json
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            raise _core.ModelError(f"{path}: cannot read the appraisal calibration ({e})") from None
        if doc.get("format") != FORMAT:
            raise _core.ModelError(f"{path}: expected format {FORMAT}, got {doc.get('format')!r}")
        return cls(doc, os.fspath(path))

    def inpaint_threshold(self, default: float) -> float:
        """The map level above which map-inpaint fills (held-out normal faces' per-face maxima)."""
        return float(self.doc.get("inpaint_threshold", default))

    def fill(self) -> str:
        """The map-inpaint fill the calibration was made with (the appraisal uses the same)."""
        return str(self.doc.get("fill", "telea"))

    def _region(self, region: str) -> Optional[dict]:
        return self.doc.get("regions", {}).get(region)

    def anomaly(self, evidence, region: str) -> float:
        entry = self._region(region)
        scales = entry["scales"] if entry else {"map": 1.0, "feature": 1.0, "centre": 0.0}
        return float(evidence.map_top / scales["map"] + evidence.feature / scales["feature"] - scales["centre"])

    def normality(self, anomaly: float, region: str, group: Optional[str]):
        """(normality or None, the faces it is a percentile among, the note when None or a fallback)."""
        entry = self._region(region)
        if entry is None:
            return None, "", f"no calibration for region {region} (run facenorm calibrate-appraisal)"
        note = None
        among = "all ages"
        values = entry["all"]
        if group is not None:
            by_group = entry["groups"].get(group)
            if by_group is not None and len(by_group) >= MIN_GROUP:
                values, among = by_group, f"age {group}"
            else:
                note = f"too few held-out normal faces aged {group}; normality is among all ages"
        values = np.asarray(values)
        return float(100.0 * np.mean(values >= anomaly)), among, note


def fit_calibration(evidences: dict, groups: list, inpaint_threshold: float, info: Optional[dict] = None,
                    fill: str = "telea") -> dict:
    """evidences: region -> list of Evidence of held-out normal faces, in the order of `groups`
    (each face's age group or None); fill: the map-inpaint fill they were made with."""
    doc = {"format": FORMAT, "inpaint_threshold": inpaint_threshold, "fill": fill, "regions": {}, "info": info or {}}
    for region, items in evidences.items():
        map_top = np.array([e.map_top for e in items])
        feature = np.array([e.feature for e in items])
        s_map = float(np.std(map_top)) or 1.0
        s_feat = float(np.percentile(feature, 90)) or float(np.max(feature)) or 1.0
        raw = map_top / s_map + feature / s_feat
        centre = float(np.median(raw))
        anomalies = raw - centre
        by_group = {}
        for g in sorted({g for g in groups if g}):
            by_group[g] = sorted(round(float(a), 4) for a, gg in zip(anomalies, groups) if gg == g)
        doc["regions"][region] = {"scales": {"map": s_map, "feature": s_feat, "centre": centre},
                                  "all": sorted(round(float(a), 4) for a in anomalies), "groups": by_group,
                                  "faces": len(items)}
    return doc


def save_calibration(folder, doc: dict) -> str:
    return atomic_json(os.path.join(os.fspath(folder), FILE), doc)
