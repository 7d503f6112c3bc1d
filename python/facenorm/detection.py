"""Face detectors with their model files resolved through models/.

Landmarkers live in facenorm.landmarks; LandmarkPredictor and landmark_predictor are re-exported
here because code written before issue 16 imports them from this module."""
from . import _core, models
from .landmarks.dlib import LandmarkPredictor  # noqa: F401  (old path: facenorm.landmarks.dlib)
from .landmarks.registry import landmark_predictor  # noqa: F401  (old path: facenorm.landmarks.registry)

__all__ = ["DETECTORS", "FaceDetector"]

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
