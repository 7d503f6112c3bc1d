"""The landmark samples the FCN trains and is evaluated on: a 96 x 96 grayscale crop about the
face detector's box, the 68 true points in the crop and in the image, and where they came from.

Sources:
- normal faces: dlib's 68 points as pseudo-labels (`label = "dlib"`), each face also as palsy-like
  copies from the asymmetry transform (facenorm.lipsynth.palsy), whose points are exact by
  construction relative to the pseudo-labels (`label = "transform"`);
- annotated folders (annotations.py): the file's points (`label = "manual"`).

The box is the detector's on the image the sample shows (the copy, not the original), as at
inference; where no face is detected the sample is skipped and counted.
"""
import sys
from dataclasses import dataclass, field

import numpy as np

from ..._core import InputError, NoFaceError
from .crop import SIDE, crop_transform, gray_crop, to_crop


@dataclass
class LandmarkSet:
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

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, index) -> "LandmarkSet":
        index = np.asarray(index, np.int64)
        pick = lambda xs: [xs[i] for i in index]
        return LandmarkSet(self.crops[index], self.points[index], self.truth[index], self.transforms[index],
                           self.boxes[index], pick(self.paths), pick(self.subjects), pick(self.groups),
                           pick(self.labels), list(self.skipped), {k: v[index] for k, v in self.predictions.items()})

    def concatenated(self, other: "LandmarkSet") -> "LandmarkSet":
        """Both sets, this one first (predictions kept only where both have them)."""
        cat = lambda a, b: np.concatenate([a, b])
        return LandmarkSet(cat(self.crops, other.crops), cat(self.points, other.points), cat(self.truth, other.truth),
                           cat(self.transforms, other.transforms), cat(self.boxes, other.boxes),
                           self.paths + other.paths, self.subjects + other.subjects, self.groups + other.groups,
                           self.labels + other.labels, self.skipped + other.skipped,
                           {k: cat(v, other.predictions[k]) for k, v in self.predictions.items()
                            if k in other.predictions})

    def save(self, path) -> None:
        """One .npz (no pickles), written to a temporary file and renamed."""
        import os
        tmp = f"{path}.partial.npz"
        np.savez_compressed(tmp, crops=self.crops, points=self.points, truth=self.truth, transforms=self.transforms,
                            boxes=self.boxes, paths=np.array(self.paths, dtype=str),
                            subjects=np.array(self.subjects, dtype=str), groups=np.array(self.groups, dtype=str),
                            labels=np.array(self.labels, dtype=str))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path) -> "LandmarkSet":
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(z["crops"], z["points"], z["truth"], z["transforms"], z["boxes"], list(z["paths"]),
                           list(z["subjects"]), list(z["groups"]), list(z["labels"]))
        except (OSError, KeyError, ValueError) as e:
            raise InputError(f"{path}: not a landmark sample file written by facenorm ({e})") from None


def annotated_face_box(detector, image, truth):
    """The detector's box holding most of the true points (several faces: the annotated one), or
    None when no face is detected: what a landmarker would be given at inference."""
    try:
        boxes = detector.detect(image, "all")
    except NoFaceError:
        return None
    if not boxes:
        return None
    return max(boxes, key=lambda b: np.sum((truth[:, 0] >= b.x0) & (truth[:, 0] < b.x1) &
                                          (truth[:, 1] >= b.y0) & (truth[:, 1] < b.y1)))


class _Builder:
    def __init__(self, detector, predictors=None):
        self.detector = detector
        self.predictors = dict(predictors or {})
        self.predicted = {name: [] for name in self.predictors}
        self.rows = {k: [] for k in ("crops", "points", "truth", "transforms", "boxes", "paths", "subjects",
                                     "groups", "labels")}
        self.skipped = []

    def add(self, image, truth, path, subject, group, label, box=None) -> bool:
        if box is None:
            box = annotated_face_box(self.detector, image, truth)
            if box is None:
                self.skipped.append((path, f"{group}: no face detected"))
                return False
        t = crop_transform(box)
        for name, predictor in self.predictors.items():
            self.predicted[name].append(np.asarray(predictor.predict(image, box), np.float32))
        r = self.rows
        r["crops"].append(gray_crop(image, t))
        r["points"].append(to_crop(truth, t))
        r["truth"].append(np.asarray(truth, np.float32))
        r["transforms"].append(t)
        r["boxes"].append(np.asarray(box.to_list()[:4] if hasattr(box, "to_list") else box, np.float64))
        for k, v in (("paths", path), ("subjects", subject), ("groups", group), ("labels", label)):
            r[k].append(v)
        return True

    def result(self) -> LandmarkSet:
        r = self.rows
        if not r["paths"]:
            raise InputError("landmark samples: no usable face (" + "; ".join(f"{p}: {why}" for p, why in
                                                                           self.skipped[:5]) + ")")
        return LandmarkSet(np.stack(r["crops"]), np.stack(r["points"]), np.stack(r["truth"]),
                           np.stack(r["transforms"]), np.stack(r["boxes"]), r["paths"], r["subjects"], r["groups"],
                           r["labels"], self.skipped, {k: np.stack(v) for k, v in self.predicted.items()})


PALSY_COPIES = ("both", "one", "none")


def samples_from_normal_faces(paths, pipeline=None, palsy_copies: str = "both", severity=(0.5, 1.0),
                              include_normal: bool = True, seed: int = 0, predictors=None,
                              progress: bool = True) -> LandmarkSet:
    """dlib-labelled normal faces and their palsy-like copies: "both" sides, "one" side drawn per
    face, or "none"; the severity drawn uniformly in `severity`; all seeded per image.
    predictors: {name: object with predict(image, box)} run on every sample (.predictions)."""
    from tqdm import tqdm

    from ..._core import read_image
    from ...lipsynth.palsy import palsy_transform
    from ...pipeline import FacePipeline

    if palsy_copies not in PALSY_COPIES:
        raise InputError(f"palsy copies: expected one of {', '.join(PALSY_COPIES)}, got '{palsy_copies}'")
    pipeline = pipeline or FacePipeline()
    build = _Builder(pipeline.detector, predictors)
    for i, path in enumerate(tqdm(paths, desc="samples", unit="face", file=sys.stderr, disable=not progress)):
        try:
            image = read_image(path)
            face = pipeline.faces(image)[0]
        except InputError as e:  # unreadable or faceless: counted, not fatal
            build.skipped.append((path, str(e)))
            continue
        if include_normal:
            build.add(image, face.landmarks, path, path, "normal", "dlib", box=face.box)
        rng = np.random.default_rng([seed, i])
        sides = {"both": ("left", "right"), "one": (("left", "right")[rng.integers(2)],), "none": ()}[palsy_copies]
        for side in sides:
            t = palsy_transform(image, face.landmarks, side, float(rng.uniform(*severity)))
            build.add(t.image, t.landmarks_after, path, path, f"palsy-{side}", "transform")
    return build.result()


def samples_from_annotations(annotated, detector=None, predictors=None, progress: bool = True) -> LandmarkSet:
    """Samples from annotations.read_annotated_folder's list (label "manual"); predictors as in
    samples_from_normal_faces."""
    from tqdm import tqdm

    from ..._core import read_image
    from ...detection import FaceDetector

    build = _Builder(detector or FaceDetector(), predictors)
    for a in tqdm(annotated, desc="samples", unit="img", file=sys.stderr, disable=not progress):
        try:
            image = read_image(a.path)
        except InputError as e:
            build.skipped.append((a.path, str(e)))
            continue
        build.add(image, a.landmarks, a.path, a.subject, a.group, "manual")
    return build.result()


def flipped(crops: np.ndarray, points: np.ndarray):
    """Horizontally mirrored crops and their points (left and right indices swapped)."""
    from ...palsy.midline import MIRROR
    out = points[:, MIRROR].copy()
    out[..., 0] = (SIDE - 1) - out[..., 0]
    return crops[:, :, ::-1].copy(), out
