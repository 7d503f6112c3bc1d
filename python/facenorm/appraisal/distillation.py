"""The distillation anomaly model (JBHI 2025, item 2b of issue 20): dlib's ImageNet ResNet-34 is
the frozen teacher, a small student (facenorm.nets.FeatureStudent) learned on normal faces of every
age to reproduce the teacher's embedding of the canonical crop (the same 100 channels of stages
1-3 on the 27 x 27 grid as PaDiM). The map is the per-cell squared discrepancy between the
student and the teacher (channel-standardized), standardized per cell by the discrepancies of
normal faces the student never trained on, so 0 is an average normal face, as with PaDiM.

A folder: model.json (format, settings, data, sha256), student.pt, stats.npz (the channels' mean
and spread over the training faces, the held-out faces' per-cell mean and spread).
"""
import os
from typing import Optional

import numpy as np

from .. import models
from .._core import ModelError
from .features import GRID, Embedder
from .lighting import even_lighting

__all__ = ["FORMAT", "VERSION", "NAME", "WEIGHTS", "STATS", "student_input", "StudentAnomalyModel"]

FORMAT = "facenorm-anomaly-student"
VERSION = 1
NAME = "anomaly_student"
WEIGHTS = "student.pt"
STATS = "stats.npz"
COMMAND = "facenorm train-anomaly-student"
DOCS = "docs/appraisal.md"


def student_input(lit_crops: np.ndarray):
    """uint8 (N, 224, 224, 3) -> float32 tensor (N, 3, 224, 224) in [0, 1]."""
    import torch
    return torch.from_numpy(np.ascontiguousarray(lit_crops)).permute(0, 3, 1, 2).float().div_(255.0)


class StudentAnomalyModel:
    """`cells(crop, face)`: the standardized (27, 27) map of one canonical crop."""

    kind = "distillation"

    def __init__(self, student, channel_mean, channel_std, cell_mean, cell_std, settings: dict,
                 folder: Optional[str] = None):
        self.student = student
        self.channel_mean = np.asarray(channel_mean, np.float32).reshape(1, -1, 1, 1)
        self.channel_std = np.asarray(channel_std, np.float32).reshape(1, -1, 1, 1)
        self.cell_mean = np.asarray(cell_mean, np.float32)
        self.cell_std = np.asarray(cell_std, np.float32)
        self.settings = settings
        self.folder = folder
        # The crops are lit here once, for the teacher and the student alike.
        self.teacher = Embedder(settings["channels"], settings["seed"], lighting=False)

    @classmethod
    def load(cls, folder=None) -> "StudentAnomalyModel":
        from .. import nets

        folder = os.fspath(folder) if folder is not None else models.model_dir(NAME)
        settings = models.read_model_folder(folder, FORMAT, VERSION, COMMAND, DOCS)
        try:
            with np.load(os.path.join(folder, STATS)) as z:
                stats = {k: z[k] for k in ("channel_mean", "channel_std", "cell_mean", "cell_std")}
        except (OSError, KeyError, ValueError) as e:
            raise ModelError(f"{folder}/{STATS}: cannot read the student's statistics ({e})") from None
        if stats["cell_mean"].shape != (GRID, GRID) or stats["channel_mean"].shape != (settings["channels"],):
            raise ModelError(f"{folder}/{STATS}: statistics of another shape than model.json's settings")
        student = nets.FeatureStudent(int(settings["channels"]), int(settings["width"]))
        student.load(os.path.join(folder, WEIGHTS))
        student.eval()
        return cls(student, settings=settings, folder=folder, **stats)

    def standardized_teacher(self, teacher_embeddings: np.ndarray) -> np.ndarray:
        return (np.asarray(teacher_embeddings, np.float32) - self.channel_mean) / self.channel_std

    def discrepancy(self, lit_crops: np.ndarray, teacher_embeddings: Optional[np.ndarray] = None) -> np.ndarray:
        """(N, 27, 27) mean squared student-teacher difference per cell; the teacher's embeddings
        are computed when not given (a cache may hold them)."""
        import torch

        if teacher_embeddings is None:
            teacher_embeddings = self.teacher(lit_crops)
        with torch.no_grad():
            predicted = self.student(student_input(lit_crops)).numpy()
        return ((predicted - self.standardized_teacher(teacher_embeddings)) ** 2).mean(axis=1)

    def cells(self, crop: np.ndarray, face: np.ndarray) -> np.ndarray:
        lit = even_lighting(crop, face)[None]
        return (self.discrepancy(lit)[0] - self.cell_mean) / self.cell_std
