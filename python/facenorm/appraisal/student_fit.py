"""Training the distillation student (distillation.py) from a feature cache (feature_cache.py):
the teacher's embeddings are read from the cache (no teacher pass), the crops are rebuilt from the
cached landmarks, and every tenth face is held out of training for the map's per-cell statistics
(a student's error on the faces it trained on is lower than on a new normal face).

Checkpoints after every epoch (student.pt, student_adam.pt, training.json): a killed run resumes,
a rerun with more --epochs trains further.
"""
import os
import re
from dataclasses import asdict, dataclass, replace
from typing import Optional

import numpy as np

from .._core import DatasetError
from ..checkpoints import Checkpoints
from ..data.hdf5_files import open_hdf5
from ..files import atomic_write
from .distillation import FORMAT, STATS, VERSION, WEIGHTS, StudentAnomalyModel
from .features import GRID, Embedder
from .training_crops import training_crops
from .training_loop import train_epochs

__all__ = ["StudentSettings", "cached_embedding", "channel_statistics", "train_student"]

CHUNK = 256


@dataclass
class StudentSettings:
    channels: int = 100       # the teacher embedding's, read from the cache
    seed: int = 0
    width: int = 32
    epochs: int = 4
    batch: int = 32
    lr: float = 1e-3
    holdout_every: int = 10
    limit: Optional[int] = None


def cached_embedding(cache_path) -> dict:
    """The channels and seed of the cache's teacher embedding (the student learns that one)."""
    with open_hdf5(cache_path, "r") as f:
        name = f.attrs.get("embedding", "")
        found = re.fullmatch(r".*/padim_g27_c(\d+)_s(\d+)_lit", str(name))
        if not found or "features/" + name not in f:
            raise DatasetError(f"{cache_path}: no teacher embedding of evenly lit crops ('{name}'); build the cache "
                               "with `facenorm fit-anomaly-model` (lighting on) first")
    return {"channels": int(found.group(1)), "seed": int(found.group(2))}


def channel_statistics(features, rows: np.ndarray):
    """Per-channel mean and spread over cached embeddings (N, 2, C, 27, 27), rows = faces used."""
    total = squares = 0.0
    count = 0
    for lo in range(0, len(rows), CHUNK):
        block = features[np.sort(rows[lo:lo + CHUNK])].astype(np.float64)
        total = total + block.sum(axis=(0, 1, 3, 4))
        squares = squares + (block ** 2).sum(axis=(0, 1, 3, 4))
        count += block.shape[0] * block.shape[1] * GRID * GRID
    mean = total / count
    return mean.astype(np.float32), np.sqrt(np.maximum(squares / count - mean ** 2, 1e-8)).astype(np.float32)


def _both_sides(rows: np.ndarray) -> np.ndarray:
    """Face rows -> rows of the mirrored arrays (2i, 2i + 1)."""
    return np.stack([2 * rows, 2 * rows + 1], axis=1).ravel()


def train_student(cache_path, out, settings: StudentSettings = None, progress: bool = True) -> dict:
    import torch

    from .. import nets

    settings = replace(settings or StudentSettings(), **cached_embedding(cache_path))
    key = "features/" + Embedder(settings.channels, settings.seed, lighting=True).key
    faces = training_crops(cache_path, settings.limit, progress)
    n = len(faces.crops)
    with open_hdf5(cache_path, "r") as f:
        teacher = f[key][:n]  # (n, 2, C, 27, 27) float16
    held_out = np.arange(n) % settings.holdout_every == 0
    train_rows, held_rows = np.flatnonzero(~held_out), np.flatnonzero(held_out)
    channel_mean, channel_std = channel_statistics(teacher, train_rows)
    standardized = ((teacher.astype(np.float32) - channel_mean.reshape(1, 1, -1, 1, 1))
                    / channel_std.reshape(1, 1, -1, 1, 1)).astype(np.float16).reshape(2 * n, settings.channels, GRID, GRID)
    lit = faces.mirrored("lit")

    ckpt = Checkpoints(out, settings, os.path.abspath(os.fspath(cache_path)), {"epoch": 0, "losses": []},
                       extendable=("epochs",))
    student = nets.FeatureStudent(settings.channels, settings.width)
    trainer = nets.StudentTrainer(student, settings.lr)
    if os.path.exists(ckpt.path(WEIGHTS)):
        student.load(ckpt.path(WEIGHTS))
        trainer.load_state(ckpt.path("student_adam.pt"))
    rows = _both_sides(train_rows)
    crops_t = torch.from_numpy(lit[rows])
    targets_t = torch.from_numpy(standardized[rows])
    train_epochs(ckpt, settings.epochs, "student", "crop", len(rows),
                 lambda epoch, step: trainer.epoch(crops_t, targets_t, settings.batch, settings.seed + epoch, step),
                 {WEIGHTS: student.save, "student_adam.pt": trainer.save_state}, progress)

    student.eval()
    model = StudentAnomalyModel(student, channel_mean, channel_std, np.zeros((GRID, GRID)), np.ones((GRID, GRID)),
                                {"channels": settings.channels, "seed": settings.seed})
    held = _both_sides(held_rows)
    raw = np.concatenate([
        model.discrepancy(lit[held[lo:lo + 64]], teacher.reshape(2 * n, settings.channels, GRID, GRID)[held[lo:lo + 64]])
        for lo in range(0, len(held), 64)])
    cell_mean, cell_std = raw.mean(0), np.maximum(raw.std(0), 1e-6)

    def write_stats(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, channel_mean=channel_mean, channel_std=channel_std, cell_mean=cell_mean.astype(np.float32),
                     cell_std=cell_std.astype(np.float32))
    atomic_write(ckpt.path(STATS), write_stats)
    groups = {}
    for g in np.asarray(faces.age_groups)[train_rows]:
        groups[g or "unknown (CelebA)"] = groups.get(g or "unknown (CelebA)", 0) + 1
    document = {"format": FORMAT, "version": VERSION, **asdict(settings), "grid": GRID,
                "embedding": key.split("/", 1)[1], "teacher": "resnet34_1000_imagenet_classifier (frozen)",
                "faces": int(len(train_rows)), "held_out_faces": int(len(held_rows)), "age_groups": groups,
                "losses": ckpt.state["losses"], "held_out_discrepancy": round(float(raw.mean()), 5),
                "cache": os.path.basename(os.fspath(cache_path)), "command": "facenorm train-anomaly-student"}
    ckpt.finish(document, weights=(WEIGHTS, STATS))
    return {"out": os.path.abspath(ckpt.folder), "faces": int(len(train_rows)), "held_out": int(len(held_rows)),
            "losses": ckpt.state["losses"], "held_out_discrepancy": float(raw.mean())}
