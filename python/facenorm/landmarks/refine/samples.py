"""What the refiner learns from: grayscale faces, dlib's points on them (where the cascade starts,
exactly as at inference: dlib run on the very image with the detector's box on it) and the true
points (labelled_faces.py).

- Normal faces: the truth is dlib's own points, so the cascade learns to leave a face alone when
  nothing droops.
- Palsy-like copies (facenorm.lipsynth.palsy): the truth is the transform's exact points, so it
  learns how far dlib lags behind a droop.
- Annotated folders (.pts / .npy, fcn.annotations): their points.
"""
from dataclasses import dataclass, field

import numpy as np

from ...palsy.midline import MIRROR
from ..labelled_faces import SampleBuilder, annotated_faces, normal_faces
from ..sample_set import SampleSet
from .features import to_gray

__all__ = ["RefineSet", "mirrored", "refine_samples_from_normal_faces", "refine_samples_from_annotations"]


@dataclass
class RefineSet(SampleSet):
    images: list            # uint8 (H, W) grayscale faces
    start: np.ndarray       # float32 (N, 68, 2): dlib's points on each image
    truth: np.ndarray       # float32 (N, 68, 2)
    subjects: list
    groups: list            # "normal", "palsy-left", "palsy-right" or an annotated folder's group
    skipped: list = field(default_factory=list)

    ARRAYS = ("start", "truth")
    LISTS = ("images", "subjects", "groups")
    WHAT = "refiner"
    COMPRESSED = False  # the grayscale faces compress poorly and load often

    @classmethod
    def from_normal_faces(cls, paths, **options) -> "RefineSet":
        return refine_samples_from_normal_faces(paths, **options)

    @classmethod
    def from_annotations(cls, annotated, **options) -> "RefineSet":
        return refine_samples_from_annotations(annotated, **options)


def mirrored(gray: np.ndarray, points: np.ndarray) -> tuple:
    """The horizontally mirrored face and its points (left and right indices swapped)."""
    out = np.asarray(points, np.float32)[MIRROR].copy()
    out[:, 0] = (gray.shape[1] - 1) - out[:, 0]
    return np.ascontiguousarray(gray[:, ::-1]), out


class _RefineRows(SampleBuilder):
    """Each face in gray with the start predictor's points on it."""
    WHAT = "refiner"

    def __init__(self, detector, predictor):
        super().__init__(detector)
        self.predictor = predictor
        self.rows = {k: [] for k in RefineSet.ARRAYS + RefineSet.LISTS}

    def add_row(self, face, box) -> None:
        # a normal face's truth is dlib's own points in this very box: the cascade starts there
        start = face.truth if face.label == "dlib" else self.predictor.predict(face.image, box)
        r = self.rows
        r["images"].append(to_gray(face.image))
        r["start"].append(np.asarray(start, np.float32))
        r["truth"].append(np.asarray(face.truth, np.float32))
        r["subjects"].append(face.subject)
        r["groups"].append(face.group)

    def make_set(self) -> RefineSet:
        r = self.rows
        return RefineSet(r["images"], np.stack(r["start"]), np.stack(r["truth"]), r["subjects"], r["groups"],
                         self.skipped)


def refine_samples_from_normal_faces(paths, palsy_copies: str = "both", severity=(0.5, 1.0), seed: int = 0,
                                     progress: bool = True) -> RefineSet:
    """Each normal face (truth = dlib's points) and its palsy-like copies ("both" sides, "one"
    drawn per face, or "none"), severity uniform in `severity`, seeded per image."""
    from ...pipeline import FacePipeline

    pipeline = FacePipeline()
    build = _RefineRows(pipeline.detector, pipeline.predictor)
    faces = normal_faces(paths, build.skipped, pipeline, palsy_copies, severity, True, seed, "refiner samples", progress)
    return build.add_all(faces).result()


def refine_samples_from_annotations(annotated, progress: bool = True) -> RefineSet:
    """Samples from fcn.annotations.read_annotated_folder's list."""
    from ...detection import FaceDetector
    from ..dlib import LandmarkPredictor

    build = _RefineRows(FaceDetector(), LandmarkPredictor())
    return build.add_all(annotated_faces(annotated, build.skipped, "refiner samples", progress)).result()
