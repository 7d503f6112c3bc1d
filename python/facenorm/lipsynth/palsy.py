"""A palsy-like asymmetry on a normal face: one side of the face droops.

On the affected side (the subject's, so "left" is the image right) at severity s in [0, 1],
with D the distance between the eye centres and v the face's downward direction (perpendicular
to the eye line):

| part | landmarks (left / right side) | at s = 1 |
|---|---|---|
| mouth corner | 54 / 48 (inner 64 / 60) | down 0.12 D (inner 0.10 D), inward 0.03 D |
| lower lip on that side | 55, 56 / 59, 58 (inner 65 / 67) | down 0.08, 0.04 D (inner 0.06 D) |
| upper lip next to the corner | 53 / 49 | down 0.05 D |
| eyebrow | 22-26 / 21-17 | down 0.06 D (inner end) to 0.10 D (outer end) |
| eye aperture | upper lid 43, 44 / 38, 37 and lower lid 47, 46 / 40, 41 | upper lid down 40% of the aperture, lower lid up 10% |

The landmarks after the warp are the ground truth by construction. The palsy region (the
mask, used as the palsy class for face parsing) is where content moved by more than
`min_shift` pixels (0.5 by default) inside the face (the convex hull of the landmarks before
and after): warping an image of its own pixel coordinates with the same kernel gives, per
pixel, where its content came from. The hull keeps out the forehead and background, which shift
slightly only because the brow triangles reach the image border.
"""
from dataclasses import dataclass

import cv2
import numpy as np

from .. import _core

__all__ = ["PalsyTransform", "palsy_landmarks", "displacement_field", "palsy_transform"]

_SIDES = {
    # subject's left = image right
    "left": dict(corner=54, inner_corner=64, lower=(55, 56), inner_lower=65, upper=53, brow=(22, 23, 24, 25, 26),
                 upper_lid=(43, 44), lower_lid=(47, 46), inward=-1.0),
    "right": dict(corner=48, inner_corner=60, lower=(59, 58), inner_lower=67, upper=49, brow=(21, 20, 19, 18, 17),
                  upper_lid=(38, 37), lower_lid=(40, 41), inward=1.0),
}


@dataclass
class PalsyTransform:
    image: np.ndarray            # warped RGB uint8
    landmarks_before: np.ndarray
    landmarks_after: np.ndarray  # ground truth
    region: np.ndarray           # uint8 (H, W), 255 where the face moved: the palsy class
    side: str
    severity: float                  # applied (lowered from the requested one only to avoid a fold)
    severity_requested: float = None


def palsy_landmarks(landmarks: np.ndarray, side: str = "left", severity: float = 1.0) -> np.ndarray:
    """Target landmarks of the palsy-like droop (float32 (68, 2))."""
    if side not in _SIDES:
        raise _core.InputError(f"side: expected 'left' or 'right' (the subject's), got '{side}'")
    if not 0.0 <= severity <= 1.0:
        raise _core.InputError(f"severity: expected a value in [0, 1], got {severity}")
    p = landmarks.astype(np.float64)
    right_eye, left_eye = p[36:42].mean(0), p[42:48].mean(0)
    d = np.linalg.norm(left_eye - right_eye)
    if not d > 1e-3:
        raise _core.InputError("landmarks: the eye centres coincide")
    u = (left_eye - right_eye) / d  # towards the image right
    down = np.array([-u[1], u[0]])
    k = _SIDES[side]
    moves = {k["corner"]: 0.12 * d * down + 0.03 * d * k["inward"] * u,
             k["inner_corner"]: 0.10 * d * down + 0.03 * d * k["inward"] * u,
             k["lower"][0]: 0.08 * d * down, k["lower"][1]: 0.04 * d * down,
             k["inner_lower"]: 0.06 * d * down, k["upper"]: 0.05 * d * down}
    for j, i in enumerate(k["brow"]):  # more at the outer end
        moves[i] = (0.06 + 0.01 * j) * d * down
    for upper, lower in zip(k["upper_lid"], k["lower_lid"]):
        aperture = (p[lower] - p[upper]) @ down
        moves[upper] = 0.4 * aperture * down
        moves[lower] = -0.1 * aperture * down
    # a closed mouth: dlib puts the inner lips' upper and lower points on top of each other;
    # content at one place cannot go two ways, so such twins share the mean of their moves
    for a, b in ((61, 67), (62, 66), (63, 65)):
        if np.linalg.norm(p[a] - p[b]) < 1.0:
            mean = 0.5 * (moves.get(a, 0.0) + moves.get(b, 0.0))
            moves[a] = moves[b] = mean
    out = p.copy()
    for i, m in moves.items():
        out[i] += severity * m
    return out.astype(np.float32)


def displacement_field(shape, src_points, dst_points) -> np.ndarray:
    """float32 (H, W, 2): for every output pixel, (source - output) position of its content
    under piecewise_affine_warp(src_points -> dst_points); zero where nothing moved."""
    h, w = shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    coords = np.ascontiguousarray(np.dstack([xs, ys]))
    return _core.piecewise_affine_warp(coords, src_points, dst_points) - coords


def palsy_transform(image, landmarks, side: str = "left", severity: float = 1.0,
                    min_shift: float = 0.5, on_fold: str = "reduce") -> PalsyTransform:
    """Warp a normal face into a palsy-like asymmetric one; see the module docstring.
    on_fold as in lip_transform_v2."""
    from .fold_guard import face_mesh_points, warp_with_fold_guard

    requested = float(severity)
    severity, after, warped, _ = warp_with_fold_guard(
        image, landmarks, lambda s: palsy_landmarks(landmarks, side, s), requested, on_fold)
    keep = face_mesh_points(image.shape, landmarks, after)
    shift = np.linalg.norm(displacement_field(image.shape, np.ascontiguousarray(landmarks[keep]),
                                              np.ascontiguousarray(after[keep])), axis=2)
    face = np.zeros(image.shape[:2], np.uint8)
    hull = cv2.convexHull(np.vstack([landmarks, after]).astype(np.float32))
    cv2.fillConvexPoly(face, np.round(hull).astype(np.int32), 255)
    region = np.where((shift > min_shift) & (face > 0), 255, 0).astype(np.uint8)
    return PalsyTransform(warped, landmarks.copy(), after, region, side, float(severity), requested)
