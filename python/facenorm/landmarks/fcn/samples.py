"""The landmark samples the FCN trains and is evaluated on: a 96 x 96 grayscale crop about the
face detector's box, the 68 true points in the crop and in the image, and where they came from.

Sources (labelled_faces.py): normal faces with dlib's 68 points as pseudo-labels (`label =
"dlib"`), each also as palsy-like copies whose points are exact by construction relative to the
pseudo-labels (`label = "transform"`); annotated folders (annotations.py, `label = "manual"`).

The box is the detector's on the image the sample shows (the copy, not the original), as at
inference; where no face is detected the sample is skipped and counted.
"""
from dataclasses import dataclass, field

import numpy as np

from ..labelled_faces import PALSY_COPIES, SampleBuilder, annotated_face_box, annotated_faces, normal_faces
from ..sample_set import SampleSet
from .crop import SIDE, crop_transform, gray_crop, to_crop

__all__ = ["LandmarkSet", "samples_from_normal_faces", "samples_from_annotations", "flipped",
           "annotated_face_box", "PALSY_COPIES"]


@dataclass
class LandmarkSet(SampleSet):
    crops: np.ndarray        # uint8 (N, 96, 96)
    points: np.ndarray       # float32 (N, 68, 2): the truth in crop pixels
    truth: np.ndarray        # float32 (N, 68, 2): the truth in image pixels
    transforms: np.ndarray   # float64 (N, 2, 3): image -> crop
    boxes: np.ndarray        # float64 (N, 4): the detector's box
    paths: list
    subjects: list           # k-fold grouping: samples of one subject stay together
    groups: list             # "normal", "palsy-left", "palsy-right", or the dataset's group
    labels: list             # "dlib" (pseudo-label), "transform" (exact), "manual"
    skipped: list = field(default_factory=list)  # (path, reason)
    # landmarker name -> float32 (N, 68, 2) image pixels: other predictors run on the very image
    # and box of each sample while it was built (the palsy copies are not kept)
    predictions: dict = field(default_factory=dict)

    ARRAYS = ("crops", "points", "truth", "transforms", "boxes")
    LISTS = ("paths", "subjects", "groups", "labels")

    @classmethod
    def from_normal_faces(cls, paths, **options) -> "LandmarkSet":
        return samples_from_normal_faces(paths, **options)

    @classmethod
    def from_annotations(cls, annotated, **options) -> "LandmarkSet":
        return samples_from_annotations(annotated, **options)


class _CropRows(SampleBuilder):
    """Each face as the FCN sees it (the crop about its box), with what other landmarkers predict
    on the very image and box."""

    def __init__(self, detector, predictors=None):
        super().__init__(detector)
        self.predictors = dict(predictors or {})
        self.predicted = {name: [] for name in self.predictors}
        self.rows = {k: [] for k in LandmarkSet.ARRAYS + LandmarkSet.LISTS}

    def add_row(self, face, box) -> None:
        t = crop_transform(box)
        for name, predictor in self.predictors.items():
            self.predicted[name].append(np.asarray(predictor.predict(face.image, box), np.float32))
        r = self.rows
        r["crops"].append(gray_crop(face.image, t))
        r["points"].append(to_crop(face.truth, t))
        r["truth"].append(np.asarray(face.truth, np.float32))
        r["transforms"].append(t)
        r["boxes"].append(np.asarray(box.to_list()[:4] if hasattr(box, "to_list") else box, np.float64))
        for k, v in (("paths", face.path), ("subjects", face.subject), ("groups", face.group), ("labels", face.label)):
            r[k].append(v)

    def make_set(self) -> LandmarkSet:
        r = self.rows
        return LandmarkSet(**{k: np.stack(r[k]) for k in LandmarkSet.ARRAYS}, **{k: r[k] for k in LandmarkSet.LISTS},
                           skipped=self.skipped, predictions={k: np.stack(v) for k, v in self.predicted.items()})


def samples_from_normal_faces(paths, pipeline=None, palsy_copies: str = "both", severity=(0.5, 1.0),
                              include_normal: bool = True, seed: int = 0, predictors=None,
                              progress: bool = True) -> LandmarkSet:
    """dlib-labelled normal faces and their palsy-like copies (labelled_faces.normal_faces).
    predictors: {name: object with predict(image, box)} run on every sample (.predictions)."""
    from ...pipeline import FacePipeline

    pipeline = pipeline or FacePipeline()
    build = _CropRows(pipeline.detector, predictors)
    faces = normal_faces(paths, build.skipped, pipeline, palsy_copies, severity, include_normal, seed, "samples", progress)
    return build.add_all(faces).result()


def samples_from_annotations(annotated, detector=None, predictors=None, progress: bool = True) -> LandmarkSet:
    """Samples from annotations.read_annotated_folder's list (label "manual"); predictors as in
    samples_from_normal_faces."""
    from ...detection import FaceDetector

    build = _CropRows(detector or FaceDetector(), predictors)
    return build.add_all(annotated_faces(annotated, build.skipped, "samples", progress)).result()


def flipped(crops: np.ndarray, points: np.ndarray):
    """Horizontally mirrored crops and their points (left and right indices swapped)."""
    from ...palsy.midline import MIRROR
    out = points[:, MIRROR].copy()
    out[..., 0] = (SIDE - 1) - out[..., 0]
    return crops[:, :, ::-1].copy(), out
