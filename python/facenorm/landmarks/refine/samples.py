"""What the refiner learns from: grayscale faces, dlib's points on them (where the cascade starts,
exactly as at inference: dlib run on the very image with the detector's box on it) and the true
points.

- Normal faces: the truth is dlib's own points, so the cascade learns to leave a face alone when
  nothing droops.
- Palsy-like copies (facenorm.lipsynth.palsy): the truth is the transform's exact points, so it
  learns how far dlib lags behind a droop.
- Annotated folders (.pts / .npy, landmarks_fcn.annotations): their points.
"""
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from ..._core import InputError
from ..fcn.samples import annotated_face_box
from ...palsy.midline import MIRROR
from .features import to_gray


@dataclass
class RefineSet:
    images: list            # uint8 (H, W) grayscale faces
    start: np.ndarray       # float32 (N, 68, 2): dlib's points on each image
    truth: np.ndarray       # float32 (N, 68, 2)
    subjects: list
    groups: list            # "normal", "palsy-left", "palsy-right" or an annotated folder's group
    skipped: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, index) -> "RefineSet":
        index = [int(i) for i in index]
        return RefineSet([self.images[i] for i in index], self.start[index], self.truth[index],
                         [self.subjects[i] for i in index], [self.groups[i] for i in index], list(self.skipped))

    def concatenated(self, other: "RefineSet") -> "RefineSet":
        return RefineSet(self.images + other.images, np.concatenate([self.start, other.start]),
                         np.concatenate([self.truth, other.truth]), self.subjects + other.subjects,
                         self.groups + other.groups, self.skipped + other.skipped)

    def save(self, path) -> None:
        """One .npz (no pickles; images of one size only), written to a temporary file and renamed."""
        if len({im.shape for im in self.images}) != 1:
            raise InputError(f"{path}: refiner samples of several image sizes cannot be cached")
        tmp = f"{path}.partial.npz"
        np.savez(tmp, images=np.stack(self.images), start=self.start, truth=self.truth,
                 subjects=np.array(self.subjects, dtype=str), groups=np.array(self.groups, dtype=str))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path) -> "RefineSet":
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(list(z["images"]), z["start"], z["truth"], list(z["subjects"]), list(z["groups"]))
        except (OSError, KeyError, ValueError) as e:
            raise InputError(f"{path}: not a refiner sample file written by facenorm ({e})") from None


def mirrored(gray: np.ndarray, points: np.ndarray) -> tuple:
    """The horizontally mirrored face and its points (left and right indices swapped)."""
    out = np.asarray(points, np.float32)[MIRROR].copy()
    out[:, 0] = (gray.shape[1] - 1) - out[:, 0]
    return np.ascontiguousarray(gray[:, ::-1]), out


class _Builder:
    def __init__(self, detector, predictor):
        self.detector, self.predictor = detector, predictor
        self.images, self.start, self.truth, self.subjects, self.groups, self.skipped = [], [], [], [], [], []

    def add(self, image, truth, subject, group, start=None) -> None:
        if start is None:
            box = annotated_face_box(self.detector, image, truth)
            if box is None:
                self.skipped.append((subject, f"{group}: no face detected"))
                return
            start = self.predictor.predict(image, box)
        self.images.append(to_gray(image))
        self.start.append(np.asarray(start, np.float32))
        self.truth.append(np.asarray(truth, np.float32))
        self.subjects.append(subject)
        self.groups.append(group)

    def result(self) -> RefineSet:
        if not self.images:
            raise InputError("refiner samples: no usable face (" + "; ".join(f"{p}: {why}" for p, why in
                                                                            self.skipped[:5]) + ")")
        return RefineSet(self.images, np.stack(self.start), np.stack(self.truth), self.subjects, self.groups,
                         self.skipped)


def refine_samples_from_normal_faces(paths, palsy_copies: str = "both", severity=(0.5, 1.0), seed: int = 0,
                                     progress: bool = True) -> RefineSet:
    """Each normal face (truth = dlib's points) and its palsy-like copies ("both" sides, "one"
    drawn per face, or "none"), severity uniform in `severity`, seeded per image."""
    from tqdm import tqdm

    from ..._core import read_image
    from ..fcn.samples import PALSY_COPIES
    from ...lipsynth.palsy import palsy_transform
    from ...pipeline import FacePipeline

    if palsy_copies not in PALSY_COPIES:
        raise InputError(f"palsy copies: expected one of {', '.join(PALSY_COPIES)}, got '{palsy_copies}'")
    pipeline = FacePipeline()
    build = _Builder(pipeline.detector, pipeline.predictor)
    for i, path in enumerate(tqdm(paths, desc="refiner samples", unit="face", file=sys.stderr,
                                  disable=not progress)):
        try:
            image = read_image(path)
            face = pipeline.faces(image)[0]
        except InputError as e:
            build.skipped.append((path, str(e)))
            continue
        build.add(image, face.landmarks, path, "normal", start=face.landmarks)
        rng = np.random.default_rng([seed, i])
        sides = {"both": ("left", "right"), "one": (("left", "right")[rng.integers(2)],), "none": ()}[palsy_copies]
        for side in sides:
            t = palsy_transform(image, face.landmarks, side, float(rng.uniform(*severity)))
            build.add(t.image, t.landmarks_after, path, f"palsy-{side}")
    return build.result()


def refine_samples_from_annotations(annotated, progress: bool = True) -> RefineSet:
    """Samples from landmarks_fcn.annotations.read_annotated_folder's list."""
    from tqdm import tqdm

    from ..._core import read_image
    from ...detection import FaceDetector
    from ..dlib import LandmarkPredictor

    build = _Builder(FaceDetector(), LandmarkPredictor())
    for a in tqdm(annotated, desc="refiner samples", unit="img", file=sys.stderr, disable=not progress):
        try:
            image = read_image(a.path)
        except InputError as e:
            build.skipped.append((a.path, str(e)))
            continue
        build.add(image, np.asarray(a.landmarks, np.float32), a.subject, a.group)
    return build.result()
