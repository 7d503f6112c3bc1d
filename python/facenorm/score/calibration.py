"""Normality 0-100: the score S mapped through a logistic curve fitted on control faces.

Calibration (docs/scoring.md): control faces get LT-v2 cleft-like lips at severities
0, 0.25, 0.5, 0.75 and 1; each copy is scored against its normalization - for the key
"reference" the untouched control face itself (an ideal normalizer), for a normalizer's name
that normalizer's output. The target of a copy of severity s is 100 (1 - s). We fit
    normality = 100 / (1 + exp(-(x - midpoint) / width)),   x = S - ln(N)/2,
by logistic regression on the fractional targets (convex; IRLS). x is the resolution-free part of S
(scoring.py), so normality does not change when the same photo is scored at another size.
One curve per (normalizer, method, colour, erosion, region).
"""
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np

from .._core import InputError, ModelError

__all__ = ["DEFAULT_CALIBRATION", "CALIBRATION_VERSION", "calibration_key", "NormalityCurve",
           "fit_normality_curve", "Calibration", "default_calibration", "save_calibration"]

DEFAULT_CALIBRATION = Path(__file__).with_name("data") / "normality_calibration.json"
CALIBRATION_VERSION = 1


def calibration_key(normalizer: str, method: str, colour: str, erosion: int, region: str) -> str:
    return f"{normalizer}/{method}/{colour}/{int(erosion)}/{region}"


@dataclass(frozen=True)
class NormalityCurve:
    midpoint: float   # x at normality 50
    width: float      # x per e-fold of the odds; > 0 (larger x = more normal)

    def __call__(self, x: float) -> float:
        z = (x - self.midpoint) / self.width
        return float(100.0 / (1.0 + math.exp(-z))) if z > -700 else 0.0


def fit_normality_curve(x, severity, iterations: int = 100) -> NormalityCurve:
    """Logistic regression of (1 - severity) on x by iteratively reweighted least squares."""
    x = np.asarray(x, dtype=np.float64)
    y = 1.0 - np.asarray(severity, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 4:
        raise InputError(f"calibration: expected two equal-length 1-D arrays of 4 or more values, got "
                         f"{x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all((y >= 0) & (y <= 1))):
        raise InputError("calibration: scores must be finite and severities in [0, 1]")
    if np.ptp(y) == 0 or np.ptp(x) == 0:
        raise InputError("calibration: needs several severities and scores that vary")
    design = np.stack([np.ones_like(x), x], axis=1)
    beta = np.zeros(2)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        w = np.maximum(p * (1 - p), 1e-9)
        step = np.linalg.solve(design.T @ (design * w[:, None]) + 1e-9 * np.eye(2), design.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    if beta[1] <= 0:
        raise InputError("calibration: the score does not increase with normality on these faces "
                         f"(slope {beta[1]:.3g}); check the normalizer and region")
    return NormalityCurve(midpoint=float(-beta[0] / beta[1]), width=float(1.0 / beta[1]))


class Calibration:
    """The curves of one calibration file, by key (calibration_key)."""

    def __init__(self, curves: dict, info: dict, path=None):
        self.curves, self.info, self.path = curves, info, path

    @classmethod
    def load(cls, path=None) -> "Calibration":
        path = Path(path) if path else DEFAULT_CALIBRATION
        try:
            doc = json.loads(path.read_text())
            curves = {k: NormalityCurve(float(v["midpoint"]), float(v["width"])) for k, v in doc["curves"].items()}
        except FileNotFoundError:
            raise ModelError(f"{path}: normality calibration file not found; make one with "
                             "`facenorm calibrate-score` (docs/scoring.md)") from None
        except (ValueError, KeyError, TypeError) as e:
            raise ModelError(f"{path}: not a facenorm normality calibration ({e})") from None
        if doc.get("version") != CALIBRATION_VERSION:
            raise ModelError(f"{path}: calibration version {doc.get('version')}, expected {CALIBRATION_VERSION}")
        return cls(curves, {k: v for k, v in doc.items() if k != "curves"}, path)

    def normality(self, key: str, mean_error_score: float) -> Optional[float]:
        """0-100, or None when this configuration was not calibrated."""
        curve = self.curves.get(key)
        return None if curve is None else round(curve(mean_error_score), 2)


@lru_cache(maxsize=1)
def default_calibration() -> Calibration:
    return Calibration.load()


def save_calibration(path, curves: dict, info: dict, stats: dict) -> None:
    """Writes atomically (temp file + rename) so a killed job leaves no half-written file."""
    path = Path(path)
    doc = {"version": CALIBRATION_VERSION, **info,
           "curves": {k: {"midpoint": c.midpoint, "width": c.width, **stats.get(k, {})}
                      for k, c in sorted(curves.items())}}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    tmp.replace(path)
