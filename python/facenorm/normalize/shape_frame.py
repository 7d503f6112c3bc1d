"""Geometry shared by the normal-face model: similarity fits and the mean-shape texture frame.

The texture frame is a FRAME x FRAME image in which the model's mean shape sits; a face's
"shape-free texture" is its image warped (similarity, then piecewise-affine) so that its landmarks
land on the mean shape. Points are float32 (68, 2) pixel (x, y), iBUG order.
"""
import cv2
import numpy as np

from .. import _core

__all__ = ["LOWER_FACE_OUTLINE", "MESH_POINTS", "similarity_fit", "apply_affine", "lower_face_mask",
           "to_shape_free", "piecewise_or_identity", "from_shape_free", "points_roi"]

# Points of the lower-face texture region (jaw 2..14 closed through the middle of the nose, 29):
# the upper lip, nostrils, philtrum, mouth and chin, where cleft-lip anomalies show.
LOWER_FACE_OUTLINE = list(range(2, 15)) + [29]
# The texture warps leave out the inner-lip points 60-67: on a closed mouth they coincide and
# their triangles would flip between an open mean mouth and a closed one (or the reverse).
MESH_POINTS = np.arange(60)


def similarity_fit(src: np.ndarray, dst: np.ndarray, weights=None) -> np.ndarray:
    """2x3 similarity (rotation, uniform scale, translation) minimizing sum w |A src - dst|^2
    (Umeyama's closed form, weighted)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    w = np.ones(len(src)) if weights is None else np.asarray(weights, np.float64)
    w = w / max(w.sum(), 1e-12)
    ms, md = w @ src, w @ dst
    a, b = src - ms, dst - md
    var = float(w @ (a ** 2).sum(1))
    cov = (b * w[:, None]).T @ a
    u, s, vt = np.linalg.svd(cov)
    d = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    r = u @ d @ vt
    scale = float(np.trace(np.diag(s) @ d)) / max(var, 1e-12)
    t = md - scale * r @ ms
    return np.hstack([scale * r, t[:, None]])


def apply_affine(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return (np.asarray(pts, np.float64) @ m[:, :2].T + m[:, 2]).astype(np.float32)


def lower_face_mask(mean_shape: np.ndarray, frame: int) -> np.ndarray:
    """bool (frame, frame): the texture region of the model, from the mean shape."""
    mask = np.zeros((frame, frame), np.uint8)
    poly = np.round(mean_shape[LOWER_FACE_OUTLINE] * 16).astype(np.int32)
    cv2.fillPoly(mask, [poly], 1, lineType=cv2.LINE_8, shift=4)
    return mask.astype(bool)


def to_shape_free(image: np.ndarray, landmarks: np.ndarray, mean_shape: np.ndarray, frame: int):
    """(frame x frame uint8 image with the face's landmarks moved onto mean_shape, the 2x3 matrix
    image -> frame). Raises InputError when the face does not fit the frame (a landmark falls
    outside it after the similarity), rather than sampling garbage."""
    m = similarity_fit(landmarks, mean_shape)
    pad = frame // 4
    side = frame + 2 * pad
    framed = cv2.warpAffine(image, _shifted(m, pad), (side, side), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REFLECT)
    pts = apply_affine(m, landmarks) + pad
    if pts.min() < 0.5 or pts.max() > side - 1.5:
        raise _core.InputError("landmarks: the face does not fit the model's texture frame after alignment "
                               "(expected a roughly frontal face with all 68 points on it)")
    warped = piecewise_or_identity(np.ascontiguousarray(framed), pts, mean_shape + pad)
    return np.ascontiguousarray(warped[pad:pad + frame, pad:pad + frame]), m


# The warps between a face and the mean shape run on the frame padded by a quarter on every side:
# jaw and brow points of a turned or elongated face fall past the frame itself.
def _shifted(m: np.ndarray, pad: int) -> np.ndarray:
    out = np.array(m, np.float64)
    out[:, 2] += pad
    return out


def piecewise_or_identity(image: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The piecewise-affine warp of MESH_POINTS; where the mesh would fold (an extreme expression or
    pose), the similarity-aligned image itself: a coarser but never torn texture."""
    try:
        return _core.piecewise_affine_warp(image, np.ascontiguousarray(src[MESH_POINTS], np.float32),
                                           np.ascontiguousarray(dst[MESH_POINTS], np.float32))
    except _core.InputError:
        return image.copy()


def from_shape_free(frame_image: np.ndarray, mean_shape: np.ndarray, frame_points: np.ndarray,
                    m: np.ndarray, out_shape: tuple, roi=None) -> np.ndarray:
    """The inverse of to_shape_free for a frame image (uint8 or float32, any channels): warp the
    mean shape onto `frame_points`, then map the frame back into an image of out_shape (H, W)
    through the inverse of m. With roi (x0, y0, x1, y1) only that box is computed and returned."""
    frame = frame_image.shape[0]
    pad = frame // 4
    padded = cv2.copyMakeBorder(np.ascontiguousarray(frame_image), pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    warped = piecewise_or_identity(padded, mean_shape + pad, np.asarray(frame_points, np.float32) + pad)
    h, w = out_shape[:2]
    x0, y0, x1, y1 = (0, 0, w, h) if roi is None else roi
    shift = np.array([[1, 0, x0], [0, 1, y0]], np.float64)  # roi pixel -> image pixel
    to_frame = np.vstack([_shifted(m, pad), [0, 0, 1]]) @ np.vstack([shift, [0, 0, 1]])
    return cv2.warpAffine(warped, to_frame[:2], (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def points_roi(points: np.ndarray, shape: tuple, margin: float) -> tuple:
    """Integer box (x0, y0, x1, y1) around points, grown by margin pixels, clipped to the image."""
    h, w = shape[:2]
    x0, y0 = np.floor(points.min(0) - margin).astype(int)
    x1, y1 = np.ceil(points.max(0) + margin).astype(int) + 1
    return max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))
