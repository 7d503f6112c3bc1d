"""How far a landmarker's points misstate the clinical asymmetry (palsy.measures): per image,
the mean over the five lengths of |(left - right) predicted - (left - right) true|, in percent
of the true outer eye-corner distance. A landmarker that lags a droop understates it."""
import numpy as np

from ...palsy.measures import LENGTHS, asymmetry_measures
from .nme import OUTER_EYE_CORNERS

__all__ = ["asymmetry_error"]


def asymmetry_error(pred, truth) -> np.ndarray:
    """(N,) percent of the eye-corner distance."""
    pred, truth = np.asarray(pred, np.float64), np.asarray(truth, np.float64)
    out = np.empty(len(truth))
    for i, (p, t) in enumerate(zip(pred, truth)):
        mp, mt = asymmetry_measures(p), asymmetry_measures(t)
        io = np.linalg.norm(t[OUTER_EYE_CORNERS[0]] - t[OUTER_EYE_CORNERS[1]])
        out[i] = 100 * np.mean([abs(mp.difference[m] - mt.difference[m]) for m in LENGTHS]) / io
    return out
