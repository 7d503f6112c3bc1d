"""The shipped PaDiM anomaly model: a folder with model.json (format, settings, the data it was
fitted on, sha256 of the arrays) and gaussians.npz (per-cell mean, packed precision, and the
per-cell mean and spread of the fitting faces' distances)."""
import os
from typing import Optional

import numpy as np

from .. import models
from .._core import ModelError
from ..files import atomic_json, atomic_write
from .features import GRID, Embedder
from .padim import mahalanobis, pack_symmetric, unpack_symmetric

__all__ = ["FORMAT", "VERSION", "NAME", "ARRAYS", "COMMAND", "DOCS", "AnomalyModel", "load_anomaly_model",
           "default_anomaly_model"]

FORMAT = "facenorm-anomaly-padim"
VERSION = 1
NAME = "anomaly_padim"
ARRAYS = "gaussians.npz"
COMMAND = "facenorm fit-anomaly-model"
DOCS = "docs/appraisal.md"


class AnomalyModel:
    """Per-cell Gaussians of the canonical crop's embedding; `distances` and `standardized` maps."""

    kind = "padim"

    def __init__(self, mean, precision, cell_mean, cell_std, settings: dict, folder: Optional[str] = None):
        self.mean = np.asarray(mean, dtype=np.float32)
        self.precision = np.asarray(precision, dtype=np.float32)
        self.cell_mean = np.asarray(cell_mean, dtype=np.float32)
        self.cell_std = np.asarray(cell_std, dtype=np.float32)
        self.settings = settings
        self.folder = folder
        self.embedder = Embedder(settings["channels"], settings["seed"], settings.get("lighting", False))

    @classmethod
    def load(cls, folder=None) -> "AnomalyModel":
        folder = os.fspath(folder) if folder is not None else models.model_dir(NAME)
        settings = models.read_model_folder(folder, FORMAT, VERSION, COMMAND, DOCS)
        try:
            with np.load(os.path.join(folder, ARRAYS)) as z:
                arrays = {k: z[k] for k in ("mean", "precision", "cell_mean", "cell_std")}
        except (OSError, KeyError, ValueError) as e:
            raise ModelError(f"{folder}/{ARRAYS}: cannot read the anomaly model ({e})") from None
        channels = settings["channels"]
        if arrays["mean"].shape != (GRID * GRID, channels):
            raise ModelError(f"{folder}/{ARRAYS}: expected a mean of shape {(GRID * GRID, channels)}, "
                             f"got {arrays['mean'].shape}")
        precision = unpack_symmetric(arrays["precision"].astype(np.float32), channels)
        return cls(arrays["mean"], precision, arrays["cell_mean"], arrays["cell_std"], settings, folder)

    def distances(self, embeddings: np.ndarray) -> np.ndarray:
        """(N, C, 27, 27) -> Mahalanobis distances (N, 27, 27)."""
        return mahalanobis(embeddings, self.mean, self.precision)

    def standardized(self, embeddings: np.ndarray) -> np.ndarray:
        """Distances as z-scores per cell among the fitting faces: (N, 27, 27), 0 = average normal."""
        return (self.distances(embeddings) - self.cell_mean) / self.cell_std

    def cells(self, crop: np.ndarray, face: np.ndarray) -> np.ndarray:
        """The standardized (27, 27) map of one canonical crop and its face mask."""
        return self.standardized(self.embedder(crop, face))[0]

    def save(self, folder) -> None:
        folder = os.fspath(folder)
        os.makedirs(folder, exist_ok=True)
        arrays = os.path.join(folder, ARRAYS)

        def write(tmp):
            with open(tmp, "wb") as f:
                np.savez_compressed(f, mean=self.mean, precision=pack_symmetric(self.precision).astype(np.float16),
                                    cell_mean=self.cell_mean, cell_std=self.cell_std)
        atomic_write(arrays, write)
        spec = dict(self.settings, format=FORMAT, version=VERSION, sha256={ARRAYS: models.sha256_of(arrays)})
        atomic_json(os.path.join(folder, "model.json"), spec)
        self.folder = folder


def _declared_format(folder) -> Optional[str]:
    """model.json's format, or None where unreadable (the full check, with its errors, is the loader's)."""
    import json
    try:
        with open(os.path.join(os.fspath(folder), "model.json")) as f:
            return json.load(f).get("format")
    except (OSError, ValueError, AttributeError):
        return None


def load_anomaly_model(folder=None):
    """The anomaly model in `folder` (default: the shipped PaDiM model), PaDiM or distillation
    by its model.json's format; any object with `cells(crop, face)` is passed through."""
    if folder is not None and hasattr(folder, "cells"):
        return folder
    if folder is None:
        return default_anomaly_model()
    from .distillation import FORMAT as STUDENT_FORMAT, StudentAnomalyModel
    if _declared_format(folder) == STUDENT_FORMAT:
        return StudentAnomalyModel.load(folder)
    return AnomalyModel.load(folder)


_default = {}


def default_anomaly_model() -> AnomalyModel:
    """The shipped model, loaded once per process."""
    if "model" not in _default:
        _default["model"] = AnomalyModel.load()
    return _default["model"]

