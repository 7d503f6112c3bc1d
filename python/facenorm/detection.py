"""Face detectors and the landmark model with their model files resolved through models/."""
from . import _core, models


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
