"""Face detectors and the landmark model with their model files resolved through models/."""
from . import _core, models

DETECTORS = ("hog", "cnn", "haar", "lbp")


class FaceDetector(_core.FaceDetector):
    """Face detector: method "hog" (default), "cnn" (dlib MMOD), "haar" or "lbp" (OpenCV).

    model_path=None uses the verified model from models/MANIFEST ("cnn") or OpenCV's cascade
    from opencv-data ("haar", "lbp"). detect(image, policy) returns boxes largest first in the
    image's pixels; images larger than max_side are detected on a downscaled copy.
    """

    def __init__(self, method: str = "hog", model_path=None, max_side: int = 800, upsample: int = 0,
                 coarse_side: int = 384):
        if model_path is None and method in ("cnn", "mmod"):
            model_path = models.resolve("mmod_human_face_detector")
        super().__init__(method, str(model_path or ""), max_side, upsample, coarse_side)


class LandmarkPredictor(_core.LandmarkPredictor):
    """dlib's 68-point shape predictor; model_path=None uses the verified default."""

    def __init__(self, model_path=None):
        if model_path is None:
            model_path = models.resolve("shape_predictor_68_face_landmarks")
        super().__init__(str(model_path))


def landmark_predictor(spec=None):
    """The landmark model a command or pipeline asked for:

    - None or "dlib": dlib's 68-point shape predictor (the verified default);
    - "fcn": the cascaded FCN landmarker of models/landmark_fcn (docs/palsy.md);
    - "refined": dlib's points corrected on drooping faces by models/landmark_refiner;
    - a folder holding a model.json: that FCN or refiner model;
    - any other path: a dlib 68-point .dat file;
    - an object with predict(image, box) -> (68, 2): used as it is.
    """
    import os

    if spec is None or spec == "dlib":
        return LandmarkPredictor()
    if hasattr(spec, "predict"):
        return spec
    if spec == "refined" or _is_refiner_folder(spec):
        from .landmark_refine.model import RefinedLandmarker
        return RefinedLandmarker(None if spec == "refined" else spec)
    if spec == "fcn" or os.path.isdir(os.fspath(spec)):
        from .landmarks_fcn.model import FcnLandmarker
        return FcnLandmarker(None if spec == "fcn" else spec)
    return LandmarkPredictor(spec)


def _is_refiner_folder(spec) -> bool:
    import json
    import os

    spec_file = os.path.join(os.fspath(spec), "model.json")
    try:
        with open(spec_file) as f:
            return json.load(f).get("format") == "facenorm-landmark-refiner"
    except (OSError, ValueError, AttributeError):
        return False
