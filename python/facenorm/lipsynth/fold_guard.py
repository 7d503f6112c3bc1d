"""Keeping synthetic moves fold-free.

A template or displacement that is large for a thin or open mouth can push the outer upper lip
past the inner lip: a triangle of the warp mesh flips and piecewise_affine_warp refuses it. With
on_fold="reduce", the transforms use instead the largest severity below the requested one whose
mesh has no flipped or collapsed triangle (found by bisection on the landmarks alone), and report
both the requested and the applied severity; on_fold="raise" keeps the kernel's InputError.
"""
import numpy as np

from .. import _core

__all__ = ["ON_FOLD", "folds", "fold_free_severity", "inside_image", "face_mesh_points", "warp_face",
           "warp_with_fold_guard"]

ON_FOLD = ("reduce", "raise")


def folds(shape, src: np.ndarray, dst: np.ndarray, min_area: float = 1e-3) -> bool:
    """True when a triangle with a moved vertex collapses or flips between src and dst (over the
    points inside the image, the mesh warp_face uses)."""
    keep = face_mesh_points(shape, src, dst)
    src, dst = np.ascontiguousarray(src[keep]), np.ascontiguousarray(dst[keep])
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


def inside_image(shape, points: np.ndarray) -> np.ndarray:
    h, w = shape[:2]
    return (points[:, 0] >= 0) & (points[:, 1] >= 0) & (points[:, 0] <= w - 1) & (points[:, 1] <= h - 1)


def face_mesh_points(shape, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Which landmarks go into the warp mesh: those inside the image, once each. dlib puts the
    inner lip points 61-63 and 65-67 on top of each other for a closed mouth; a duplicate that
    moves like its twin adds nothing, so only the first is kept (twins that move apart remain,
    and the kernel reports them)."""
    keep = inside_image(shape, src) & inside_image(shape, dst)
    pairs = np.hstack([src, dst])
    _, first = np.unique(pairs, axis=0, return_index=True)  # identical (src, dst) rows: one is enough
    unique = np.zeros(len(src), bool)
    unique[first] = True
    return keep & unique


def warp_face(image, src: np.ndarray, dst: np.ndarray, return_mask: bool = False):
    """piecewise_affine_warp over the landmarks that lie inside the image: a tightly cropped face
    (chin or brows past the border) still warps, since points that do not move need not be in
    the mesh. A moved point outside the image is still an InputError."""
    keep = face_mesh_points(image.shape, src, dst)
    moved_outside = np.any(src != dst, axis=1) & ~(inside_image(image.shape, src) & inside_image(image.shape, dst))
    if moved_outside.any():
        raise _core.InputError(f"landmarks {np.nonzero(moved_outside)[0].tolist()} move but lie outside the "
                               f"{image.shape[1]}x{image.shape[0]} image")
    return _core.piecewise_affine_warp(image, np.ascontiguousarray(src[keep]), np.ascontiguousarray(dst[keep]),
                                       return_mask=return_mask)


def warp_with_fold_guard(image, landmarks, targets_at, severity: float, on_fold: str = "reduce"):
    """Warp at `severity`; only if the kernel refuses a fold, fall back to the largest fold-free
    severity (so the common case pays no extra check). Returns (applied, targets, image, mask)."""
    if on_fold not in ON_FOLD:
        raise _core.InputError(f"on_fold: expected one of {', '.join(ON_FOLD)}, got '{on_fold}'")
    after = targets_at(severity)
    try:
        warped, mask = warp_face(image, landmarks, after, return_mask=True)
        return severity, after, warped, mask
    except _core.InputError:
        if on_fold == "raise" or not folds(image.shape, landmarks, after):
            raise
    applied = fold_free_severity(image.shape, landmarks, targets_at, severity, on_fold)
    after = targets_at(applied)
    warped, mask = warp_face(image, landmarks, after, return_mask=True)
    return applied, after, warped, mask
