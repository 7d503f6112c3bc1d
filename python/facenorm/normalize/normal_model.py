"""The statistical normal-face model: PCA of Procrustes-aligned 68-point shapes and PCA of the
shape-free texture of the lower face, learned from control (normal) faces only.

Files are NumPy .npz archives holding the arrays and a JSON `meta` document with a sha256 of
every array, so a truncated or altered file raises ModelError instead of normalizing with
garbage. `fit_normal_model` trains one; `load_normal_model` reads one (the shipped default when
no path is given, models/normal_face_model.npz).
"""
import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import _core
from .shape_frame import lower_face_mask, similarity_fit, apply_affine, to_shape_free

__all__ = ["MODEL_FORMAT", "MODEL_VERSION", "DEFAULT_MODEL_NAME", "FRAME", "EYE_DISTANCE", "SIGMA_FLOOR_SHAPE",
           "SIGMA_FLOOR_TEXTURE", "ARRAYS", "NormalFaceModel", "default_model_path", "load_normal_model",
           "shared_model", "generalized_procrustes", "fit_normal_model"]

MODEL_FORMAT = "facenorm-normal-face-model"
MODEL_VERSION = 1
DEFAULT_MODEL_NAME = "normal_face_model.npz"
FRAME = 128            # side of the texture frame, pixels
EYE_DISTANCE = 40.0    # eye-centre distance of the mean shape in the frame, pixels
SIGMA_FLOOR_SHAPE = 0.4   # px in the frame: below dlib's landmark jitter there is no information
SIGMA_FLOOR_TEXTURE = 2.0 / 255
ARRAYS = ("mean_shape", "shape_basis", "shape_stddev", "shape_sigma",
          "texture_mask", "texture_mean", "texture_basis", "texture_stddev", "texture_sigma")


@dataclass
class NormalFaceModel:
    mean_shape: np.ndarray      # float32 (68, 2) in the texture frame's pixels
    shape_basis: np.ndarray     # float32 (Ks, 136), orthonormal rows
    shape_stddev: np.ndarray    # float32 (Ks,)  sqrt of the PCA eigenvalues
    shape_sigma: np.ndarray     # float32 (68,)  residual spread per point on held-out normal faces
    texture_mask: np.ndarray    # bool (FRAME, FRAME): the lower-face region
    texture_mean: np.ndarray    # float32 (D,) RGB in [0, 1] of the masked pixels, D = 3 * mask.sum()
    texture_basis: np.ndarray   # float32 (Kt, D), orthonormal rows
    texture_stddev: np.ndarray  # float32 (Kt,)
    texture_sigma: np.ndarray   # float32 (D / 3,) residual spread per pixel on held-out normal faces
    meta: dict = field(default_factory=dict)

    @property
    def frame(self) -> int:
        return int(self.texture_mask.shape[0])

    def save(self, path) -> None:
        """Writes atomically (temp file + rename), with a sha256 of every array in meta."""
        path = os.fspath(path)
        arrays = {name: np.ascontiguousarray(getattr(self, name)) for name in ARRAYS}
        meta = dict(self.meta, format=MODEL_FORMAT, version=MODEL_VERSION,
                    sha256={name: _digest(a) for name, a in arrays.items()})
        tmp = f"{path}.tmp{os.getpid()}"
        try:
            with open(tmp, "wb") as f:
                np.savez(f, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.meta = meta


def _digest(a: np.ndarray) -> str:
    h = hashlib.sha256(str(a.dtype).encode() + str(a.shape).encode())
    h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def default_model_path() -> Path:
    """normal_face_model.npz on the models search path (facenorm.models.search_path)."""
    from ..models import model_file
    return model_file(DEFAULT_MODEL_NAME, "facenorm fit-normal-model")


def load_normal_model(path=None) -> NormalFaceModel:
    """Reads and verifies a model file. MissingFileError if absent; ModelError if it is not a
    facenorm normal-face model, is truncated, or any array's checksum does not match."""
    path = os.fspath(path) if path is not None else str(default_model_path())
    if not os.path.isfile(path):
        raise _core.MissingFileError(f"normal-face model not found: {path} (train one with "
                                     f"`facenorm fit-normal-model`; see docs/normalization.md)")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "meta" not in z.files:
                raise _core.ModelError(f"{path}: not a facenorm normal-face model (no 'meta' entry)")
            meta = json.loads(str(z["meta"]))
            arrays = {name: z[name] for name in ARRAYS}
    except _core.ModelError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        raise _core.ModelError(f"{path}: cannot read the normal-face model ({type(e).__name__}: {e}); expected a "
                               f".npz written by `facenorm fit-normal-model`") from None
    if meta.get("format") != MODEL_FORMAT or meta.get("version") != MODEL_VERSION:
        raise _core.ModelError(f"{path}: expected format {MODEL_FORMAT} version {MODEL_VERSION}, got "
                               f"{meta.get('format')} version {meta.get('version')}")
    for name, a in arrays.items():
        if _digest(a) != meta.get("sha256", {}).get(name):
            raise _core.ModelError(f"{path}: array '{name}' does not match its checksum (corrupt or altered file)")
    return NormalFaceModel(meta=meta, **{k: (v.astype(bool) if k == "texture_mask" else v.astype(np.float32))
                                         for k, v in arrays.items()})


_LOADED = {}  # path -> NormalFaceModel: loading verifies checksums, do it once per process


def shared_model(path=None) -> NormalFaceModel:
    """load_normal_model(path), loaded once per process and shared by every normalizer."""
    key = os.fspath(path) if path else ""
    if key not in _LOADED:
        _LOADED[key] = load_normal_model(path or None)
    return _LOADED[key]


# ---- fitting ------------------------------------------------------------------------------------

def generalized_procrustes(shapes: np.ndarray, iterations: int = 10) -> np.ndarray:
    """The mean shape of generalized Procrustes analysis, placed in the texture frame (float32)."""
    ref = shapes[0].astype(np.float64)
    for _ in range(iterations):
        aligned = np.stack([apply_affine(similarity_fit(s, ref), s) for s in shapes]).astype(np.float64)
        ref = aligned.mean(0)
    return _place_in_frame(ref)


def _place_in_frame(shape: np.ndarray) -> np.ndarray:
    """Scale so the eye centres are EYE_DISTANCE apart, eyes level, face centred in the frame."""
    right_eye, left_eye = shape[36:42].mean(0), shape[42:48].mean(0)
    d = left_eye - right_eye
    angle = -np.arctan2(d[1], d[0])
    scale = EYE_DISTANCE / np.hypot(*d)
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    s = shape @ rot.T
    lo, hi = s.min(0), s.max(0)
    return (s - (lo + hi) / 2 + FRAME / 2).astype(np.float32)


def _pca(data: np.ndarray, components: int, variance: float) -> tuple:
    """(mean, orthonormal basis rows, stddevs): the fewest components explaining `variance` of the
    total, at most `components`."""
    mean = data.mean(0)
    _, s, vt = np.linalg.svd(data - mean, full_matrices=False)
    eig = s ** 2 / max(len(data) - 1, 1)
    k = int(np.searchsorted(np.cumsum(eig) / eig.sum(), variance) + 1)
    k = max(1, min(k, components, len(eig)))
    return mean.astype(np.float32), vt[:k].astype(np.float32), np.sqrt(eig[:k]).astype(np.float32)


def _residual_sigma(train: np.ndarray, held_out: np.ndarray, components: int, variance: float, group: int,
                    floor: float) -> np.ndarray:
    """RMS residual per group on faces the PCA did not see: what 'normal' misfit looks like."""
    mean, basis, _ = _pca(train, components, variance)
    r = (held_out - mean) - ((held_out - mean) @ basis.T) @ basis
    per_group = np.sqrt((r.reshape(len(r), -1, group) ** 2).mean(axis=(0, 2)))
    return np.maximum(per_group, floor).astype(np.float32)


def fit_normal_model(faces, shape_components: int = 24, texture_components: int = 60,
                     shape_variance: float = 0.98, texture_variance: float = 0.95, progress: bool = True,
                     meta=None) -> NormalFaceModel:
    """Fits the model on (image, landmarks) pairs of NORMAL faces (an iterable of tuples).

    Shapes: generalized Procrustes analysis, then PCA. Textures: each face warped onto the mean
    shape (similarity + piecewise-affine), the lower-face pixels as RGB in [0, 1], then PCA. The
    per-point and per-pixel residual spreads (sigmas the robust fit divides by) come from a
    10% held-out split, so they describe faces the PCA has not memorized.
    """
    import sys
    from tqdm import tqdm

    faces = list(faces)
    if len(faces) < 20:
        raise _core.InputError(f"fit_normal_model: expected at least 20 normal faces, got {len(faces)}")
    shapes = np.stack([lm for _, lm in faces]).astype(np.float32)
    mean_shape = generalized_procrustes(shapes)
    aligned = np.stack([apply_affine(similarity_fit(s, mean_shape), s) for s in shapes])
    mask = lower_face_mask(mean_shape, FRAME)
    textures, kept = [], []
    for i, (image, landmarks) in enumerate(tqdm(faces, desc="textures", unit="face", file=sys.stderr,
                                                disable=not progress)):
        try:
            free, _ = to_shape_free(image, landmarks, mean_shape, FRAME)
        except _core.InputError:  # a face that does not fit the frame is left out, not distorted
            continue
        textures.append(free[mask].reshape(-1).astype(np.float32) / 255)
        kept.append(i)
    textures = np.stack(textures)
    shape_vectors = (aligned - mean_shape).reshape(len(aligned), -1)
    order = np.random.default_rng(0).permutation(len(faces))
    split = max(1, len(faces) // 10)
    held, train = order[:split], order[split:]
    shape_sigma = _residual_sigma(shape_vectors[train], shape_vectors[held], shape_components, shape_variance, 2,
                                  SIGMA_FLOOR_SHAPE)
    t_order = np.random.default_rng(1).permutation(len(textures))
    t_split = max(1, len(textures) // 10)
    texture_sigma = _residual_sigma(textures[t_order[t_split:]], textures[t_order[:t_split]], texture_components,
                                    texture_variance, 3, SIGMA_FLOOR_TEXTURE)
    _, shape_basis, shape_stddev = _pca(shape_vectors, shape_components, shape_variance)
    texture_mean, texture_basis, texture_stddev = _pca(textures, texture_components, texture_variance)
    info = dict(meta or {}, faces=len(faces), faces_with_texture=len(kept), frame=FRAME, eye_distance=EYE_DISTANCE,
                shape_components=int(len(shape_stddev)), texture_components=int(len(texture_stddev)),
                texture_pixels=int(mask.sum()))
    return NormalFaceModel(mean_shape.astype(np.float32), shape_basis, shape_stddev, shape_sigma, mask,
                           texture_mean, texture_basis, texture_stddev, texture_sigma, info)
