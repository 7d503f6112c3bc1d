"""Clinical asymmetry measures from 68 landmarks (what clinicians use Emotrics-like tools for).

All lengths are measured in the face frame of midline.py (u lateral, v along the midline,
downwards) and reported in millimetres when a pixel -> mm scale is known (scale.py), else in
pixels. Per side ("left"/"right" are the subject's: left = image right):

| measure | definition (iBUG points, subject's right / left) |
|---|---|
| brow_height | eye centre (mean of 36-41 / 42-47) to the brow's highest point (17-21 / 22-26), along v |
| palpebral_fissure_height | upper lid to lower lid, mean of (37-41, 38-40) / (43-47, 44-46), along v |
| commissure_height | how far the mouth corner (48 / 54) sits below the line through the inner canthi (39, 42), along v |
| commissure_excursion | mouth corner (48 / 54) to the mouth centre (mean of 62 and 66), Euclidean |
| smile_angle | degrees above the horizontal of mouth centre -> corner (positive = corner higher) |
| upper_lip_height | nostril base (32 / 34) to the upper-lip vermilion border (50 / 52), along v |

Differences are left - right. The asymmetry index is the mean, over the five lengths, of
|left - right| / ((left + right) / 2), in percent; the smile angle enters separately as
|left - right| in degrees (an angle near 0 has no meaningful ratio). 0 = perfectly symmetric.
"""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .midline import FaceFrame, facial_midline

__all__ = ["SIDES", "LENGTHS", "MEASURES", "AsymmetryMeasures", "asymmetry_measures"]

SIDES = {
    "right": dict(eye=range(36, 42), brow=range(17, 22), lids=((37, 41), (38, 40)), corner=48, nostril=32, lip=50),
    "left": dict(eye=range(42, 48), brow=range(22, 27), lids=((43, 47), (44, 46)), corner=54, nostril=34, lip=52),
}
LENGTHS = ("brow_height", "palpebral_fissure_height", "commissure_height", "commissure_excursion",
           "upper_lip_height")
MEASURES = LENGTHS + ("smile_angle",)


@dataclass
class AsymmetryMeasures:
    unit: str                                   # "mm" or "px"
    left: dict                                  # measure -> value (subject's left)
    right: dict
    difference: dict                            # left - right
    asymmetry_index: float                      # percent, see the module docstring
    smile_angle_difference: float               # degrees, |left - right|
    mm_per_pixel: Optional[float] = None
    scale_source: str = "none"
    frame: Optional[FaceFrame] = field(default=None, repr=False)

    def to_json(self) -> dict:
        r = lambda d: {k: round(float(v), 3) for k, v in d.items()}
        return {"unit": self.unit, "left": r(self.left), "right": r(self.right), "difference": r(self.difference),
                "asymmetry_index": round(self.asymmetry_index, 3),
                "smile_angle_difference": round(self.smile_angle_difference, 3),
                "mm_per_pixel": None if self.mm_per_pixel is None else round(self.mm_per_pixel, 6),
                "scale_source": self.scale_source}


def _side_measures(c: np.ndarray, side: str) -> dict:
    k = SIDES[side]
    eye = c[list(k["eye"])].mean(0)
    canthi_v = (c[39, 1] + c[42, 1]) / 2
    centre = (c[62] + c[66]) / 2
    corner = c[k["corner"]]
    lateral = abs(corner[0] - centre[0])
    return {
        "brow_height": eye[1] - c[list(k["brow"]), 1].min(),
        "palpebral_fissure_height": float(np.mean([c[lo, 1] - c[up, 1] for up, lo in k["lids"]])),
        "commissure_height": corner[1] - canthi_v,
        "commissure_excursion": float(np.linalg.norm(corner - centre)),
        "smile_angle": float(np.degrees(np.arctan2(centre[1] - corner[1], max(lateral, 1e-9)))),
        "upper_lip_height": c[k["lip"], 1] - c[k["nostril"], 1],
    }


def asymmetry_measures(landmarks: np.ndarray, mm_per_pixel: Optional[float] = None,
                       scale_source: str = "none") -> AsymmetryMeasures:
    """Left/right measures, their differences and the asymmetry index of one face."""
    frame = facial_midline(landmarks)
    c = frame.coords(landmarks)
    k = mm_per_pixel if mm_per_pixel else 1.0
    left, right = _side_measures(c, "left"), _side_measures(c, "right")
    for d in (left, right):
        for name in LENGTHS:
            d[name] *= k
    diff = {m: left[m] - right[m] for m in MEASURES}
    ratios = [abs(left[m] - right[m]) / max((abs(left[m]) + abs(right[m])) / 2, 1e-9) for m in LENGTHS]
    return AsymmetryMeasures("mm" if mm_per_pixel else "px", left, right, diff, float(100 * np.mean(ratios)),
                             abs(diff["smile_angle"]), mm_per_pixel, scale_source if mm_per_pixel else "none",
                             frame)
