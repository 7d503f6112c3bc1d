"""Keeping synthetic moves fold-free.

A template or displacement that is large for a thin or open mouth can push the outer upper lip
past the inner lip: a triangle of the warp mesh flips and piecewise_affine_warp refuses it. With
on_fold="reduce", the transforms use instead the largest severity below the requested one whose
mesh has no flipped or collapsed triangle (found by bisection on the landmarks alone), and report
both the requested and the applied severity; on_fold="raise" keeps the kernel's InputError.
"""
import numpy as np

from .. import _core

ON_FOLD = ("reduce", "raise")


def folds(shape, src: np.ndarray, dst: np.ndarray, min_area: float = 1e-3) -> bool:
    """True when a triangle with a moved vertex collapses or flips between src and dst."""
    triangles, points = _core.delaunay_with_anchors(src, shape[:2])
    n = len(src)
    moved = np.zeros(len(points), bool)
    moved[:n] = np.any(src != dst, axis=1)
    tri = triangles[moved[triangles].any(axis=1)]
    if len(tri) == 0:
        return False
    after = points.astype(np.float64).copy()
    after[:n] = dst
    before = points.astype(np.float64)

    def area(p):
        a, b, c = p[tri[:, 0]], p[tri[:, 1]], p[tri[:, 2]]
        return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))

    ab, aa = area(before), area(after)
    return bool(np.any(np.abs(aa) < min_area) or np.any(np.sign(ab) != np.sign(aa)))


def fold_free_severity(shape, landmarks, targets_at, severity: float, on_fold: str = "reduce",
                       steps: int = 12) -> float:
    """The severity to apply: `severity` itself when its targets do not fold the mesh, else (with
    on_fold="reduce") the largest fold-free value found by bisection in [0, severity]."""
    if on_fold not in ON_FOLD:
        raise _core.InputError(f"on_fold: expected one of {', '.join(ON_FOLD)}, got '{on_fold}'")
    if on_fold == "raise" or not folds(shape, landmarks, targets_at(severity)):
        return severity
    low, high = 0.0, severity
    for _ in range(steps):
        mid = 0.5 * (low + high)
        if folds(shape, landmarks, targets_at(mid)):
            high = mid
        else:
            low = mid
    return low
