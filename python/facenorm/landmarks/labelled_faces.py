"""The faces every landmark sample set is built from, each with its true points: normal faces
(dlib's own points as pseudo-labels), their palsy-like copies (facenorm.lipsynth.palsy; the
transform's points are exact by construction) and annotated photos (the file's points). One walk
over the inputs, shared by the FCN's and the refiner's samples (train-landmarks,
train-landmark-refiner, evaluate-landmarks), and one builder base that finds each face's box."""
import sys
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import numpy as np

from .._core import InputError, NoFaceError

__all__ = ["PALSY_COPIES", "LabelledFace", "annotated_face_box", "normal_faces", "annotated_faces",
           "SampleBuilder"]

PALSY_COPIES = ("both", "one", "none")


@dataclass
class LabelledFace:
    image: np.ndarray        # uint8 (H, W, 3)
    truth: np.ndarray        # float32 (68, 2) image pixels
    path: str
    subject: str             # k-fold grouping: the samples of one subject stay together
    group: str               # "normal", "palsy-left", "palsy-right", or an annotated folder's group
    label: str               # "dlib" (dlib's own points), "transform" (exact), "manual"
    box: Optional[Any] = None  # the detector's box on this very image when known (normal faces)


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


def _progress(items, desc: str, unit: str, progress: bool):
    from tqdm import tqdm
    return tqdm(items, desc=desc, unit=unit, file=sys.stderr, disable=not progress)


def normal_faces(paths, skipped: list, pipeline=None, palsy_copies: str = "both", severity=(0.5, 1.0),
                 include_normal: bool = True, seed: int = 0, desc: str = "samples",
                 progress: bool = True) -> Iterator[LabelledFace]:
    """Each normal face (truth: dlib's points, with the box they were found in) and its palsy-like
    copies: "both" sides, "one" side drawn per face, or "none"; the severity drawn uniformly in
    `severity`; all seeded per image. Unreadable or faceless photos go to `skipped`."""
    from .._core import read_image
    from ..lipsynth.palsy import palsy_transform
    from ..pipeline import FacePipeline

    if palsy_copies not in PALSY_COPIES:
        raise InputError(f"palsy copies: expected one of {', '.join(PALSY_COPIES)}, got '{palsy_copies}'")
    pipeline = pipeline or FacePipeline()
    for i, path in enumerate(_progress(paths, desc, "face", progress)):
        try:
            image = read_image(path)
            face = pipeline.faces(image)[0]
        except InputError as e:  # unreadable or faceless: counted, not fatal
            skipped.append((path, str(e)))
            continue
        if include_normal:
            yield LabelledFace(image, face.landmarks, path, path, "normal", "dlib", face.box)
        rng = np.random.default_rng([seed, i])
        sides = {"both": ("left", "right"), "one": (("left", "right")[rng.integers(2)],), "none": ()}[palsy_copies]
        for side in sides:
            t = palsy_transform(image, face.landmarks, side, float(rng.uniform(*severity)))
            yield LabelledFace(t.image, t.landmarks_after, path, path, f"palsy-{side}", "transform")


def annotated_faces(annotated, skipped: list, desc: str = "samples", progress: bool = True) -> Iterator[LabelledFace]:
    """The photos of annotations.read_annotated_folder's list with their points (label "manual");
    unreadable ones go to `skipped`."""
    from .._core import read_image

    for a in _progress(annotated, desc, "img", progress):
        try:
            image = read_image(a.path)
        except InputError as e:
            skipped.append((a.path, str(e)))
            continue
        yield LabelledFace(image, np.asarray(a.landmarks, np.float32), a.path, a.subject, a.group, "manual")


class SampleBuilder:
    """Collects the rows of one sample set: add(face) finds the face's box where the walk did not
    know it (as a landmarker would be given it at inference) and skips faces with none; the
    subclass's add_row stores what its set needs, its make_set builds the set."""
    WHAT = "landmark"

    def __init__(self, detector):
        self.detector = detector
        self.skipped = []
        self.count = 0

    def add(self, face: LabelledFace) -> bool:
        box = face.box if face.box is not None else annotated_face_box(self.detector, face.image, face.truth)
        if box is None:
            self.skipped.append((face.path, f"{face.group}: no face detected"))
            return False
        self.add_row(face, box)
        self.count += 1
        return True

    def add_all(self, faces) -> "SampleBuilder":
        for face in faces:
            self.add(face)
        return self

    def add_row(self, face: LabelledFace, box) -> None:
        raise NotImplementedError

    def make_set(self):
        raise NotImplementedError

    def result(self):
        if not self.count:
            raise InputError(f"{self.WHAT} samples: no usable face (" +
                             "; ".join(f"{p}: {why}" for p, why in self.skipped[:5]) + ")")
        return self.make_set()
