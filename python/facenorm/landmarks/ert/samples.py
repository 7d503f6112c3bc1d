"""What the shape-predictor trainer learns from: grayscale face crops (the region dlib's predictor
reads at inference: the detector's box with 40% margin), the box and the 68 points in the crop,
and each mirrored."""
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..._core import InputError
from ...palsy.midline import MIRROR

__all__ = ["CROP_SIDE", "ShapeSamples", "crop", "from_annotations", "from_normal_faces"]

CROP_SIDE = 320  # the crop's longer side in pixels; the trees read box-relative positions


@dataclass
class ShapeSamples:
    faces: list = field(default_factory=list)    # uint8 (H, W) crops
    boxes: list = field(default_factory=list)    # (x0, y0, x1, y1) in the crop
    points: list = field(default_factory=list)   # float32 (68, 2) in the crop
    subjects: list = field(default_factory=list)
    groups: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.faces)

    def add(self, image, box, points, subject, group, mirror: bool = True) -> None:
        face, b, p = crop(image, box, points)
        self.faces.append(face), self.boxes.append(b), self.points.append(p)
        self.subjects.append(subject), self.groups.append(group)
        if mirror:
            w = face.shape[1]
            m = p[MIRROR].copy()
            m[:, 0] = (w - 1) - m[:, 0]
            self.faces.append(np.ascontiguousarray(face[:, ::-1])), self.points.append(m)
            self.boxes.append([w - b[2], b[1], w - b[0], b[3]])
            self.subjects.append(subject), self.groups.append(group)

    def subset(self, index) -> "ShapeSamples":
        pick = lambda xs: [xs[i] for i in index]
        return ShapeSamples(pick(self.faces), pick(self.boxes), pick(self.points), pick(self.subjects),
                            pick(self.groups))

    def extended(self, other: "ShapeSamples", repeat: int = 1) -> "ShapeSamples":
        """This set and `repeat` copies of `other` (so a few real photos weigh more)."""
        return ShapeSamples(self.faces + other.faces * repeat, self.boxes + other.boxes * repeat,
                            self.points + other.points * repeat, self.subjects + other.subjects * repeat,
                            self.groups + other.groups * repeat)


def crop(image, box, points):
    """(uint8 gray crop, box in the crop, points in the crop): the box with 40% margin, scaled so
    the longer side is CROP_SIDE pixels."""
    x0, y0, x1, y1 = [float(v) for v in box[:4]]
    margin = 0.4 * max(x1 - x0, y1 - y0)
    h, w = image.shape[:2]
    rx0, ry0 = max(0, int(np.floor(x0 - margin))), max(0, int(np.floor(y0 - margin)))
    rx1, ry1 = min(w, int(np.ceil(x1 + margin))), min(h, int(np.ceil(y1 + margin)))
    if rx1 - rx0 < 8 or ry1 - ry0 < 8:
        raise InputError("shape samples: the face box lies outside the image")
    region = image[ry0:ry1, rx0:rx1]
    gray = cv2.cvtColor(region, cv2.COLOR_RGB2GRAY) if region.ndim == 3 else region
    f = CROP_SIDE / max(gray.shape)
    gray = cv2.resize(gray, (max(1, round(gray.shape[1] * f)), max(1, round(gray.shape[0] * f))),
                      interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    fx, fy = gray.shape[1] / (rx1 - rx0), gray.shape[0] / (ry1 - ry0)
    to_crop = lambda x, y: ((x - rx0 + 0.5) * fx - 0.5, (y - ry0 + 0.5) * fy - 0.5)
    bx0, by0 = to_crop(x0, y0)
    bx1, by1 = to_crop(x1, y1)
    p = np.asarray(points, np.float64)
    cropped = np.stack(to_crop(p[:, 0], p[:, 1]), axis=1).astype(np.float32)
    return np.ascontiguousarray(gray), [bx0, by0, bx1, by1], cropped


def from_annotations(annotated, progress: bool = True) -> ShapeSamples:
    from ...detection import FaceDetector
    from ..labelled_faces import annotated_face_box, annotated_faces

    detector, out = FaceDetector(), ShapeSamples()
    for face in annotated_faces(annotated, [], "shape samples", progress):
        box = annotated_face_box(detector, face.image, face.truth)
        if box is not None:
            out.add(face.image, box.to_list(), face.truth, face.subject, face.group)
    return out


def from_normal_faces(paths, palsy_copies: bool = True, seed: int = 0, progress: bool = True) -> ShapeSamples:
    """dlib's points as pseudo-labels on each normal face, and the exact points of both its
    palsy-like copies (dlib's box on each copy, as at inference)."""
    from ...pipeline import FacePipeline
    from ..labelled_faces import normal_faces

    pipeline, out = FacePipeline(), ShapeSamples()
    for face in normal_faces(paths, [], pipeline, "both" if palsy_copies else "none", seed=seed,
                             desc="shape samples", progress=progress):
        box = face.box
        if box is None:
            try:
                box = pipeline.detector.detect(face.image, "largest")[0]
            except InputError:
                continue
        out.add(face.image, box.to_list(), face.truth, face.subject, face.group)
    return out
