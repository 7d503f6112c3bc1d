"""The canonical crops of the faces of a feature cache (feature_cache.py), rebuilt from the cached
paths and landmarks without detection: what the distillation student and the inpainter train on.
Row i belongs to the cache's face i; `mirrored` interleaves each crop with its mirror (rows 2i,
2i + 1), the order of the cache's features."""
import sys
from dataclasses import dataclass

import numpy as np

from .. import _core
from ..data.hdf5_files import open_hdf5
from .alignment import align
from .anomaly_map import face_mask
from .lighting import even_lighting

__all__ = ["TrainingCrops", "training_crops"]


@dataclass
class TrainingCrops:
    crops: np.ndarray        # uint8 (N, 224, 224, 3), as photographed
    lit: np.ndarray          # uint8 (N, 224, 224, 3), even lighting (what the features see)
    faces: np.ndarray        # uint8 (N, 224, 224) face masks
    landmarks: np.ndarray    # float32 (N, 68, 2) in the crop
    age_groups: list

    def mirrored(self, name: str) -> np.ndarray:
        """Each crop then its mirror, (2N, ...), for one of crops, lit, faces."""
        a = getattr(self, name)
        return np.stack([a, a[:, :, ::-1]], axis=1).reshape((2 * len(a),) + a.shape[1:])


def training_crops(cache_path, limit=None, progress: bool = True) -> TrainingCrops:
    from tqdm import tqdm

    with open_hdf5(cache_path, "r") as f:
        n = int(f.attrs.get("faces", 0))
        n = n if limit is None else min(n, int(limit))
        paths = [p.decode() if isinstance(p, bytes) else p for p in f["faces/path"][:n]]
        landmarks = f["faces/landmarks"][:n]
        groups = [g.decode() if isinstance(g, bytes) else g for g in f["faces/age_group"][:n]]
    crops, lit, faces, crop_landmarks = [], [], [], []
    for path, lm in tqdm(list(zip(paths, landmarks)), desc="training crops", unit="face", file=sys.stderr,
                         disable=not progress):
        try:
            image = _core.read_image(path)
        except _core.FacenormError as e:
            raise _core.DatasetError(f"{cache_path}: cached face {path} cannot be read any more ({e}); "
                                     "rebuild the cache") from None
        aligned = align(image, lm)
        face = face_mask(aligned.landmarks)
        crops.append(aligned.image)
        lit.append(even_lighting(aligned.image, face))
        faces.append(face.astype(np.uint8))
        crop_landmarks.append(aligned.landmarks.astype(np.float32))
    return TrainingCrops(np.stack(crops), np.stack(lit), np.stack(faces), np.stack(crop_landmarks), groups)
