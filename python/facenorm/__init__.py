"""facenorm: objective measurement of facial anomalies (cleft lip, facial palsy) from photographs.

Conventions (every function): images are NumPy uint8 (H, W, 3) RGB, C-contiguous; landmarks are
float32 (68, 2) pixel (x, y) in iBUG 300-W order, 0-based. Nothing is cast silently: a wrong
dtype raises InputTypeError (a TypeError), a wrong shape InputError (a ValueError).
"""
from ._core import (  # noqa: F401  (the public API re-exports the core)
    __version__,
    build_info,
    FacenormError,
    InputError,
    InputTypeError,
    MissingFileError,
    ImageDecodeError,
    NoFaceError,
    MultipleFacesError,
    ModelError,
    DatasetError,
    BackendError,
    FaceBox,
    HeadPose,
    AlignedFace,
    RegionCrop,
    read_image,
    decode_image,
    read_image_header,
    write_image,
    head_pose,
    is_frontal,
    generic_face_model_3d,
    align_face,
    region_mask,
    crop_region,
    DEFAULT_MAX_IMAGE_PIXELS,
    MIN_IMAGE_SIDE,
    set_num_threads,
    get_num_threads,
    piecewise_affine_warp,
    delaunay_with_anchors,
)
from .detection import FaceDetector  # noqa: F401
from .landmarks import LandmarkPredictor, get_landmarker  # noqa: F401  (fn.get_landmarker("refined"))
from .arrays import as_rgb8  # noqa: F401
from .pipeline import FaceRecord, ImageResult, FacePipeline  # noqa: F401
from . import models  # noqa: F401
from . import data  # noqa: F401  (HDF5 datasets: fn.data.Dataset, fn.data.DatasetWriter)
from .lipsynth import lip_transform_v1, lip_transform_v2, lip_transform_v2_landmarks, palsy_transform  # noqa: F401
from .lipsynth.cleft import CleftSynthesis, synthesize_cleft  # noqa: F401

from .geometry import REGIONS  # noqa: F401
from .detection import DETECTORS  # noqa: F401
from . import report  # noqa: F401  (pictures: fn.report.heatmap_overlay, score_figure)
from . import score  # noqa: F401  (heatmaps, S, normality: fn.score.score_pair)
from . import stats  # noqa: F401  (agreement with human ratings: fn.stats.pearson, ablation_table)
from . import normalize  # noqa: F401  (normalizers: fn.normalize.get_normalizer("statistical"))
from .score import anomaly_heatmap, anomaly_score  # noqa: F401
from .appraisal.anomaly_map import AnomalyMap, anomaly_map  # noqa: F401  (PaDiM map, docs/appraisal.md)
from .appraisal.appraise import DEFAULT_REGION as _APPRAISAL_REGION, Appraisal, Appraiser  # noqa: F401
from . import _moved

__all__ = ["__version__", "build_info", "FacenormError", "InputError", "InputTypeError", "MissingFileError", "ImageDecodeError",
           "NoFaceError", "MultipleFacesError", "ModelError", "DatasetError", "BackendError", "FaceBox",
           "HeadPose", "AlignedFace", "RegionCrop", "read_image", "decode_image", "read_image_header",
           "write_image", "head_pose", "is_frontal", "generic_face_model_3d", "align_face", "region_mask",
           "crop_region", "DEFAULT_MAX_IMAGE_PIXELS", "MIN_IMAGE_SIDE", "set_num_threads", "get_num_threads",
           "piecewise_affine_warp", "delaunay_with_anchors", "FaceDetector", "LandmarkPredictor", "get_landmarker",
           "as_rgb8", "FaceRecord", "ImageResult", "FacePipeline", "models", "data", "lip_transform_v1",
           "lip_transform_v2", "lip_transform_v2_landmarks", "palsy_transform", "CleftSynthesis",
           "synthesize_cleft", "REGIONS", "DETECTORS", "report", "score", "stats", "normalize", "anomaly_heatmap",
           "anomaly_score", "AnomalyMap", "anomaly_map", "Appraisal", "Appraiser", "appraise"]

_moved.install()  # old module paths (facenorm.landmark_refine, ...) keep working, with a DeprecationWarning


def appraise(image, landmarks=None, age=None, region: str = _APPRAISAL_REGION):
    """The default appraisal of one face, the same numbers `facenorm score IMG` prints (region
    "mouth" unless given): score (larger = more normal), normality 0-100 among held-out normal
    faces (of the age group when `age` is given), the map, its peak and its heat per region.
    Loads the shipped models once per process."""
    return _default_appraiser().appraise(image, landmarks, age=age, region=region)


_appraisers = []


def _default_appraiser():
    if not _appraisers:
        _appraisers.append(Appraiser())
    return _appraisers[0]
