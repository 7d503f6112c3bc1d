"""One photo -> one aligned face record (or the reason it was skipped): the unit of work that
`facenorm prepare` runs in worker threads. Never raises for a bad photo: a bad photo becomes a
SkippedInput, so the batch records it instead of losing it."""
from dataclasses import asdict, dataclass, field
from typing import Dict, Tuple, Union

import numpy as np

from .. import _core
from .._core import FacenormError, InputError, NoFaceError
from .landmark_files import find_sidecar_landmarks, read_landmark_file
from .writer import EncodedChunk, encode_chunk

from ..detection import DETECTORS
from ..geometry import REGIONS

__all__ = ["AGE_NAME_RULES", "UNREADABLE", "BAD_LANDMARKS", "NO_FACE", "POSE_OUT_OF_RANGE", "FAILED",
           "PrepareOptions", "PreparedFace", "SkippedInput", "prepare_face"]

AGE_NAME_RULES = ("", "utkface")

# Why an input did not make it (the `reason` column of `skipped`).
UNREADABLE = "unreadable"
BAD_LANDMARKS = "bad_landmarks"
NO_FACE = "no_face"
POSE_OUT_OF_RANGE = "pose_out_of_range"
FAILED = "failed"


@dataclass(frozen=True)
class PrepareOptions:
    detector: str = "hog"
    size: int = 1024
    eye_distance: float = 100.0
    crops: Tuple[str, ...] = ()
    crop_size: int = 224
    max_yaw: float = 15.0
    max_pitch: float = 15.0
    pose_filter: bool = True
    group: str = ""
    split: str = ""
    age_group: str = ""    # e.g. child / adult: the lip detector's test_children / test_adults subsets
    landmark_model: str = "dlib"  # or refined, fcn, a model folder (landmarks.registry.get_landmarker)
    age_from_name: str = ""       # "utkface": age_group from AGE_GENDER_RACE_DATE.jpg names (else age_group)
    tight_crop_fallback: bool = False  # retry a missed face padded and upsampled (tight pre-aligned crops)

    def __post_init__(self):
        if self.detector not in DETECTORS:
            raise InputError(f"detector: expected one of {', '.join(DETECTORS)}, got '{self.detector}'")
        bad = [r for r in self.crops if r not in REGIONS]
        if bad:
            raise InputError(f"crops: expected regions among {', '.join(REGIONS)}, got {bad}")
        # One canonical order, so "--crops mouth,lip" and "--crops lip,mouth" are the same job.
        object.__setattr__(self, "crops", tuple(r for r in REGIONS if r in self.crops))
        if not 32 <= int(self.size) <= 8192:
            raise InputError(f"size: expected 32..8192 pixels, got {self.size}")
        if not 0 < float(self.eye_distance) < int(self.size):
            raise InputError(f"eye_distance: expected 0 < eye_distance < size ({self.size}), got {self.eye_distance}")
        if not 16 <= int(self.crop_size) <= 4096:
            raise InputError(f"crop_size: expected 16..4096 pixels, got {self.crop_size}")
        if self.age_from_name not in AGE_NAME_RULES:
            raise InputError(f"age_from_name: expected one of {AGE_NAME_RULES}, got '{self.age_from_name}'")
        if self.max_yaw <= 0 or self.max_pitch <= 0:
            raise InputError(f"max_yaw/max_pitch: expected positive degrees, got {self.max_yaw}/{self.max_pitch}")

    def to_params(self) -> dict:
        params = asdict(self)
        params["crops"] = list(self.crops)
        if not self.age_group:  # files written before the option existed keep resuming
            del params["age_group"]
        if self.landmark_model == "dlib":  # likewise
            del params["landmark_model"]
        for name in ("age_from_name", "tight_crop_fallback"):  # likewise
            if not params[name]:
                del params[name]
        return params

    def record_age_group(self, source: str) -> str:
        """The record's age_group: from a UTKFace file name when asked and it has an age, else age_group."""
        if self.age_from_name == "utkface":
            from ..appraisal.normal_faces import age_group, utkface_age
            age = utkface_age(source)
            if age is not None:
                return age_group(age)
        return self.age_group


@dataclass
class PreparedFace:
    source: str
    image: EncodedChunk                # aligned face, compressed in the worker
    landmarks: np.ndarray              # float32 (68, 2) pixels of the aligned face
    box: np.ndarray                    # float32 (4,) x0, y0, x1, y1 in the original photo
    pose: np.ndarray                   # float32 (3,) yaw, pitch, roll degrees (original photo)
    crops: Dict[str, EncodedChunk] = field(default_factory=dict)
    params: dict = field(default_factory=dict)


@dataclass
class SkippedInput:
    source: str
    reason: str
    error_type: str = ""
    message: str = ""


def _matrix_list(matrix) -> list:
    return [[float(v) for v in row] for row in np.asarray(matrix)]


def _sidecar_landmarks(landmark_file):
    """Landmarks from a side-car file; no detector runs, so the box is their bounding box."""
    landmarks = read_landmark_file(landmark_file)
    box = np.concatenate([landmarks.min(axis=0), landmarks.max(axis=0)]).astype(np.float32)
    return landmarks, box, {"landmarks_from": landmark_file.suffix.lstrip("."), "landmark_file": str(landmark_file)}


def _detected_landmarks(image, pipeline, finder=None):
    """finder: a FaceFinder (appraisal.normal_faces) tried when the detector misses the face."""
    try:
        face = pipeline.faces(image)[0]  # policy "largest": the biggest face comes first
    except NoFaceError:
        if finder is None:
            raise
        landmarks, _ = finder.landmarks(image)  # repeats the plain pass first: only on a miss
        box = np.concatenate([landmarks.min(axis=0), landmarks.max(axis=0)]).astype(np.float32)
        return landmarks, box, {"landmarks_from": "detector", "tight_crop_fallback": True}
    return face.landmarks, np.asarray(face.box.to_list(), dtype=np.float32), {"landmarks_from": "detector"}


def prepare_face(source: str, pipeline, options: PrepareOptions, finder=None) -> Union[PreparedFace, SkippedInput]:
    """Read, find landmarks (side-car .pts/.npy file, else the detector), filter by pose, align,
    crop, compress. pipeline: a FacePipeline (may be None when every input has a side-car);
    finder: the tight-crop fallback when options.tight_crop_fallback."""
    try:
        image = _core.read_image(source)
    except FacenormError as e:
        return SkippedInput(source, UNREADABLE, type(e).__name__, str(e))
    height, width = image.shape[:2]
    landmark_file = find_sidecar_landmarks(source)
    try:
        if landmark_file is not None:
            landmarks, box, origin = _sidecar_landmarks(landmark_file)
        else:
            landmarks, box, origin = _detected_landmarks(image, pipeline, finder)
    except NoFaceError as e:
        return SkippedInput(source, NO_FACE, type(e).__name__, str(e))
    except FacenormError as e:
        reason = BAD_LANDMARKS if landmark_file is not None else FAILED
        return SkippedInput(source, reason, type(e).__name__, str(e))
    try:
        pose = _core.head_pose(landmarks, (width, height))
        frontal = _core.is_frontal(pose, options.max_yaw, options.max_pitch)
        if options.pose_filter and not frontal:
            return SkippedInput(source, POSE_OUT_OF_RANGE, "",
                                f"yaw {pose.yaw:.1f}, pitch {pose.pitch:.1f} degrees; expected |yaw| < "
                                f"{options.max_yaw:g} and |pitch| < {options.max_pitch:g}")
        aligned = _core.align_face(image, landmarks, size=options.size, eye_distance=options.eye_distance)
        crops, crop_params = {}, {}
        for region in options.crops:
            crop = _core.crop_region(aligned.image, aligned.landmarks, region, size=options.crop_size)
            crops[region] = encode_chunk(crop.image)
            crop_params[region] = {"matrix": _matrix_list(crop.matrix), "box": [float(v) for v in crop.box]}
    except FacenormError as e:
        return SkippedInput(source, FAILED, type(e).__name__, str(e))
    params = dict(origin)
    if origin["landmarks_from"] == "detector":
        params["detector"] = options.detector
    params.update({
        "original_size": [int(width), int(height)],
        "frontal": bool(frontal),
        # Maps original-photo pixels to aligned pixels: [x', y'] = M @ [x, y, 1].
        "align_matrix": _matrix_list(aligned.matrix),
        "size": options.size,
        "eye_distance": options.eye_distance,
    })
    if crop_params:
        params["crops"] = crop_params  # each matrix maps aligned pixels to crop pixels
    return PreparedFace(source=source, image=encode_chunk(aligned.image), landmarks=aligned.landmarks, box=box,
                        pose=np.array([pose.yaw, pose.pitch, pose.roll], dtype=np.float32),
                        crops=crops, params=params)
