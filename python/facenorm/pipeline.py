"""Detect -> landmarks -> pose for one image; the unit every command and batch job reuses."""
import os
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from . import _core
from .detection import FaceDetector
from .landmarks.registry import get_landmarker

__all__ = ["FaceRecord", "ImageResult", "FacePipeline", "FaceChoice", "POLICIES", "choose_faces"]

POLICIES = ("largest", "all", "error")


@dataclass
class FaceRecord:
    box: "_core.FaceBox"
    landmarks: np.ndarray  # float32 (68, 2) pixel (x, y), iBUG order
    pose: "_core.HeadPose"
    frontal: bool

    def to_json(self) -> dict:
        return {
            "box": [round(float(v), 2) for v in self.box.to_list()],
            "landmarks": [[round(float(x), 2), round(float(y), 2)] for x, y in self.landmarks],
            "pose": {k: round(float(v), 3) for k, v in self.pose.to_dict().items()},
        }


@dataclass
class ImageResult:
    path: str
    width: int = 0
    height: int = 0
    error: Optional[str] = None
    error_type: Optional[str] = None
    faces: List[FaceRecord] = field(default_factory=list)
    image: Optional[np.ndarray] = None  # kept only when asked for (keep_image=True)

    def to_json(self) -> dict:
        return {"path": self.path, "width": self.width, "height": self.height, "error": self.error,
                "faces": [f.to_json() for f in self.faces]}


@dataclass
class FaceChoice:
    """One face a multi-face policy kept: its index among every face found (largest first) and box."""
    index: int
    box: "_core.FaceBox"

    def to_json(self) -> dict:
        return {"face_index": self.index, "box": [round(float(v), 2) for v in self.box.to_list()]}


def choose_faces(detector, image: np.ndarray, policy: str = "largest"):
    """([FaceChoice], faces_found): the faces `policy` keeps, as `detector.detect(image, policy)`
    keeps them (NoFaceError when there is none, MultipleFacesError under "error" when several),
    with their index among all the faces found, and how many were found. Under "largest" the box is
    the one detect() gives (its coarse pass first, as before) and the count takes one more pass."""
    if policy not in POLICIES:
        raise _core.InputError(f"policy: expected largest, all or error, got '{policy}'")
    boxes = detector.detect(image, policy)
    if policy == "largest":
        return [FaceChoice(0, boxes[0])], max(1, len(detector.detect_all(image)))
    return [FaceChoice(i, box) for i, box in enumerate(boxes)], len(boxes)


class FacePipeline:
    """Shared detector + landmark model; thread-safe (the C++ kernels release the GIL).

    policy: "largest" (default), "all", or "error" (MultipleFacesError when several faces).
    """

    def __init__(self, detector: str = "hog", landmark_model=None, policy: str = "largest",
                 max_side: int = 800, upsample: int = 0, max_yaw: float = 15.0, max_pitch: float = 15.0):
        if policy not in POLICIES:
            raise _core.InputError(f"policy: expected largest, all or error, got '{policy}'")
        self.detector = detector if isinstance(detector, _core.FaceDetector) else FaceDetector(
            detector, max_side=max_side, upsample=upsample)
        self.predictor = get_landmarker(landmark_model)
        self.policy = policy
        self.max_yaw = max_yaw
        self.max_pitch = max_pitch

    def faces(self, image: np.ndarray) -> List[FaceRecord]:
        """Every face the policy keeps, with landmarks and pose. Raises NoFaceError if none."""
        size = (image.shape[1], image.shape[0])
        out = []
        for box in self.detector.detect(image, self.policy):
            lm = self.predictor.predict(image, box)
            pose = _core.head_pose(lm, size)
            out.append(FaceRecord(box, lm, pose, _core.is_frontal(pose, self.max_yaw, self.max_pitch)))
        return out

    def choose(self, image: np.ndarray):
        """([FaceChoice], faces_found) under this pipeline's policy (choose_faces)."""
        return choose_faces(self.detector, image, self.policy)

    def analyze(self, source, keep_image: bool = False) -> ImageResult:
        """Read (if a path) and analyse one image; errors are recorded, never raised.

        Bad files and faceless images give an ImageResult with `error` (the message) and
        `error_type` (the facenorm exception class name), so a batch never loses a record.
        """
        is_path = isinstance(source, (str, os.PathLike))
        result = ImageResult(path=os.fspath(source) if is_path else "<array>")
        try:
            image = _core.read_image(os.fspath(source)) if is_path else source
            result.height, result.width = int(image.shape[0]), int(image.shape[1])
            if keep_image:
                result.image = image
            result.faces = self.faces(image)
        except _core.FacenormError as e:
            result.error, result.error_type = str(e), type(e).__name__
        return result
