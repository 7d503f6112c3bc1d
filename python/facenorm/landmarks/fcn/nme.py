"""Landmark error measures and subject-independent folds.

Per image, with Y the true and Y^ the predicted 68 x 2 points and (w, h) the true points' box:

| measure | formula | note |
|---|---|---|
| `nme_eq3` | ‖Y − Y^‖_F / √(w·h) | AFLFP eq. 3 as written: "the L2 norm of the matrix" |
| `nme_box` | mean_i ‖y_i − y^_i‖ / √(w·h) | the usual per-point box-normalized error |
| `nme_io` | mean_i ‖y_i − y^_i‖ / ‖y_36 − y_45‖ | inter-ocular (outer eye corners), as 300-W |
| `nme_io_inner` | `nme_io` over points 17-67 | the 51 inner points: brows, nose, eyes, mouth (no jaw) |

All are reported in percent; a table's value is the mean (and std) over images. Eq. 3's
Frobenius norm grows with √68 ≈ 8.2 times a typical point error, which is why AFLFP's table
reads ~11%: compare like with like.
"""
import numpy as np

from ..._core import InputError

__all__ = ["OUTER_EYE_CORNERS", "INNER_POINTS", "box_size", "nme", "subject_folds"]

OUTER_EYE_CORNERS = (36, 45)
INNER_POINTS = slice(17, 68)  # what the asymmetry measures read; the jaw line is ill-defined in a photo


def _check(pred, truth):
    pred, truth = np.asarray(pred, np.float64), np.asarray(truth, np.float64)
    if pred.shape != truth.shape or pred.ndim != 3 or pred.shape[1:] != (68, 2):
        raise InputError(f"NME: expected predictions and truth of the same (N, 68, 2) shape, got {pred.shape} "
                         f"and {truth.shape}")
    return pred, truth


def box_size(truth) -> np.ndarray:
    """√(w·h) of each image's true-landmark box."""
    t = np.asarray(truth, np.float64)
    span = t.max(1) - t.min(1)
    return np.sqrt(span[:, 0] * span[:, 1])


def nme(pred, truth) -> dict:
    """{"nme_eq3", "nme_box", "nme_io", "nme_io_inner"}: per-image arrays (N,) in percent."""
    pred, truth = _check(pred, truth)
    err = np.linalg.norm(pred - truth, axis=2)                      # (N, 68)
    box = box_size(truth)
    io = np.linalg.norm(truth[:, OUTER_EYE_CORNERS[0]] - truth[:, OUTER_EYE_CORNERS[1]], axis=1)
    if np.any(box <= 0) or np.any(io <= 0):
        raise InputError("NME: a true landmark set is degenerate (zero box or eye distance)")
    return {"nme_eq3": 100 * np.sqrt((err ** 2).sum(1)) / box, "nme_box": 100 * err.mean(1) / box,
            "nme_io": 100 * err.mean(1) / io, "nme_io_inner": 100 * err[:, INNER_POINTS].mean(1) / io}


def subject_folds(subjects, k: int = 10, seed: int = 0) -> list:
    """k (train index, test index) pairs; each subject's samples all in one test fold. Subjects are
    shuffled (seeded) and dealt round-robin, so fold sizes differ by at most one subject."""
    unique = sorted(set(subjects))
    if not 2 <= k <= len(unique):
        raise InputError(f"folds: expected 2 <= k <= the number of subjects ({len(unique)}), got {k}")
    order = np.random.default_rng(seed).permutation(len(unique))
    fold_of = {unique[s]: i % k for i, s in enumerate(order)}
    labels = np.array([fold_of[s] for s in subjects])
    return [(np.nonzero(labels != f)[0], np.nonzero(labels == f)[0]) for f in range(k)]
