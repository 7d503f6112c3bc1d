"""The anomaly score S of eq. 6 and its resolution-free form.

S = -ln(||H||_F / N): ||H||_F = sqrt(sum over masked pixels and channels of the heatmap), N = the
number of masked pixels (soft masks weight them). Sign convention: LARGER S = SMALLER difference
= MORE NORMAL (the paper's prose says "the higher the number, the more severe", which holds for
the energy ||H||_F / N, not for S). Identical images give ||H||_F = 0; S is then capped at
-ln(1e-9) = 20.72 and `capped` is set, never NaN or inf.

Because ||H||_F grows like sqrt(N), S also grows by ln(2)/2 each time the image side doubles
(N quadruples). `mean_error_score` = S - ln(N)/2 = -ln(mean heatmap per pixel)/2 does not, and
is what the normality calibration uses, so normality means the same at any resolution.
"""
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .. import _core

__all__ = ["SCORE_FLOOR", "SCORE_CAP", "HeatmapScore", "anomaly_score_details", "anomaly_score"]

SCORE_FLOOR = 1e-9
SCORE_CAP = -math.log(SCORE_FLOOR)


@dataclass(frozen=True)
class HeatmapScore:
    score: float        # S of eq. 6
    frobenius: float    # ||H||_F inside the mask
    pixels: float       # N, the (weighted) number of pixels inside the mask
    capped: bool        # ||H||_F / N fell below SCORE_FLOOR (identical images)

    @property
    def mean_error_score(self) -> float:
        """S - ln(N)/2: the resolution-free part of S (see the module docstring)."""
        return self.score - 0.5 * math.log(self.pixels)


def anomaly_score_details(heatmap: np.ndarray, mask: Optional[np.ndarray] = None) -> HeatmapScore:
    """Eq. 6 over a heatmap and an optional float32 (H, W) mask in [0, 1] (None = everywhere)."""
    d = _core.heatmap_score(heatmap, mask)
    return HeatmapScore(float(d["score"]), float(d["frobenius"]), float(d["pixels"]), bool(d["capped"]))


def anomaly_score(heatmap: np.ndarray, mask: Optional[np.ndarray] = None) -> float:
    """S = -ln(||H||_F / N) of eq. 6; larger = more normal. The Frobenius norm, pixel count and
    whether S was capped: facenorm.score.anomaly_score_details."""
    return anomaly_score_details(heatmap, mask).score
