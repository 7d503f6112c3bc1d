"""Robust fit of the normal-face model to one face: the part both the statistical and the
inpainting normalizers build on.

1. Shape (in C++: fit_shape_robust): the landmarks are aligned to the mean shape (weighted
   similarity) and robustly projected onto the shape PCA (Tukey IRLS, coefficients bounded);
   alignment and weights are re-estimated together a few times, so an anomalous lip neither skews
   the alignment nor pulls the fit.
   Points the fit rejects (beyond 2 sigma of normal variation) move towards the projection by
   (1 - weight); only the movable set moves (nose and mouth by default; never the jaw outline,
   which dlib places least reliably and no anomaly we model moves).
2. Texture: the face, warped to the corrected shape, is taken to the shape-free frame and its
   lower face robustly projected onto the texture PCA; 1 - weight per pixel is the anomaly map.
"""
from dataclasses import dataclass

import cv2
import numpy as np

from .. import _core
from .normal_model import NormalFaceModel
from .shape_frame import to_shape_free

__all__ = ["JAW", "SHAPE_ROUNDS", "MOVABLE", "ShapeFit", "TextureFit", "fit_shape", "warp_to_shape", "fit_texture",
           "frame_scale", "difference_map"]

JAW = np.arange(0, 17)
SHAPE_ROUNDS = 4
# Points a correction may move: `lower` = nose and mouth (cleft lip and its nose), `face` = every
# point but the jaw outline (palsy moves brows and eyelids too).
MOVABLE = {"lower": np.r_[27:36, 48:68], "face": np.arange(17, 68)}


@dataclass
class ShapeFit:
    target: np.ndarray         # float32 (68, 2): the corrected landmarks in image pixels
    projection: np.ndarray     # float32 (68, 2): the model's projection in image pixels
    weights: np.ndarray        # float32 (68,): 1 = normal point, 0 = rejected as anomalous
    iterations: int


@dataclass
class TextureFit:
    shape_free: np.ndarray     # uint8 (F, F, 3): the face on the mean shape
    matrix: np.ndarray         # 2x3, image -> frame (similarity of the corrected shape)
    reconstruction: np.ndarray  # float32 (F, F, 3) in [0, 1]: robust projection (+ local lighting) inside the mask
    anomaly: np.ndarray        # float32 (F, F): 1 - weight inside the mask, 0 outside
    iterations: int


def fit_shape(model: NormalFaceModel, landmarks: np.ndarray, tukey_c: float = 4.685, bound: float = 3.0,
              movable: str = "lower") -> ShapeFit:
    """The C++ robust shape fit (facenorm/normalizer.hpp: fit_shape_robust) on this model."""
    r = _core.fit_shape_robust(np.ascontiguousarray(landmarks, np.float32), model.mean_shape, model.shape_basis,
                               model.shape_stddev, model.shape_sigma, tukey_c=tukey_c, coefficient_bound=bound,
                               rounds=SHAPE_ROUNDS, move_beyond_sigma=2.0,
                               movable=[int(i) for i in MOVABLE[movable]])
    return ShapeFit(r["target"], r["projection"], r["weights"], int(r["iterations"]))


def warp_to_shape(image: np.ndarray, landmarks: np.ndarray, target: np.ndarray) -> tuple:
    """(image warped so landmarks move to target, the target actually used, the fraction of the
    move applied): the C++ warp_towards, which halves a move that would fold the mesh (a
    correction must never tear the face); 0 = every move refused, image unchanged."""
    return _core.warp_towards(image, np.ascontiguousarray(landmarks, np.float32),
                              np.ascontiguousarray(target, np.float32))


def fit_texture(model: NormalFaceModel, image: np.ndarray, landmarks: np.ndarray, tukey_c: float = 4.685,
                bound: float = 3.0, lighting_sigma: float = 6.0) -> TextureFit:
    frame, mask = model.frame, model.texture_mask
    free, m = to_shape_free(image, landmarks, model.mean_shape, frame)
    x = free[mask].reshape(-1).astype(np.float32) / 255
    r = _core.robust_subspace_projection(x, model.texture_mean, model.texture_basis, model.texture_stddev,
                                         model.texture_sigma, group=3, tukey_c=tukey_c, coefficient_bound=bound)
    w = r["weights"]
    recon = r["reconstruction"].reshape(-1, 3)
    # The PCA cannot hold every face's lighting: add back the inliers' residual, low-passed
    # (normalized convolution), so the fill matches the skin around it.
    residual = np.zeros((frame, frame, 3), np.float32)
    weight = np.zeros((frame, frame), np.float32)
    residual[mask] = (x.reshape(-1, 3) - recon) * w[:, None]
    weight[mask] = w
    k = (0, 0)
    smooth_r = cv2.GaussianBlur(residual, k, lighting_sigma)
    smooth_w = cv2.GaussianBlur(weight, k, lighting_sigma)[..., None]
    reconstruction = free.astype(np.float32) / 255
    reconstruction[mask] = np.clip(recon + (smooth_r / np.maximum(smooth_w, 1e-3))[mask], 0, 1)
    anomaly = np.zeros((frame, frame), np.float32)
    anomaly[mask] = 1.0 - w
    return TextureFit(free, m, reconstruction, anomaly, int(r["iterations"]))


def frame_scale(matrix: np.ndarray) -> float:
    """Image pixels per frame pixel."""
    return 1.0 / float(np.hypot(matrix[0, 0], matrix[0, 1]))


def difference_map(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """float32 (H, W) in [0, 1]: where an image changed (luma of the absolute RGB change; 64 levels
    = 1). Computed only inside the box of changed pixels: normalizers change small regions."""
    diff = cv2.cvtColor(cv2.absdiff(before, after), cv2.COLOR_RGB2GRAY)
    out = np.zeros(diff.shape, np.float32)
    x, y, w, h = cv2.boundingRect(diff)
    if w and h:
        part = diff[y:y + h, x:x + w].astype(np.float32) * (1.0 / 64)
        out[y:y + h, x:x + w] = np.minimum(part, 1.0)
    return out
