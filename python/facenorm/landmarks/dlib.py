"""dlib's 68-point shape predictor with its model file resolved through models/ (the default
landmarker: every pipeline starts from it, and the refiner corrects its points)."""
from .. import _core, models

__all__ = ["LandmarkPredictor", "dlib_landmarker"]


class LandmarkPredictor(_core.LandmarkPredictor):
    """dlib's 68-point shape predictor; model_path=None uses the verified default."""

    def __init__(self, model_path=None):
        if model_path is None:
            model_path = models.resolve("shape_predictor_68_face_landmarks")
        super().__init__(str(model_path))


def dlib_landmarker(model=None) -> LandmarkPredictor:
    """The registry's `dlib[:model=FILE.dat]`."""
    return LandmarkPredictor(model)
