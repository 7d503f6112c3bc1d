"""The full pipeline on a photo (DESIGN's data flow): detect, landmarks, align as the training
faces were, normalize with the normalizer the model was trained with, cut the pixel-aligned lip
crop pair, Siamese -> p(abnormal) and the CAM."""
import numpy as np

from .. import _core
from .model import LipModel

__all__ = ["PhotoClassifier"]


class PhotoClassifier:
    """model: a LipModel (or its folder); detector: FacePipeline's; normalizer: a spec overriding
    the one the model was trained with (rarely wise: the pairs it learned from used that one)."""

    def __init__(self, model=None, detector: str = "hog", normalizer=None, landmark_model=None):
        from ..normalize.registry import get_normalizer
        from ..pipeline import FacePipeline

        self.model = model if isinstance(model, LipModel) else LipModel(model)
        face = self.model.face
        if face.get("eye_distance") is None and "unknown" in face:
            raise _core.ModelError(f"{self.model.model_dir}: its model.json does not say how the training faces "
                                   f"were aligned ({face['unknown']}); retrain with `facenorm train`")
        self.size = int(face.get("size", 512))
        self.eye_distance = float(face.get("eye_distance") or 100.0)
        self.region, self.crop_size = face.get("region", "lip"), int(face.get("crop_size", 224))
        self.margin = float(face.get("margin", 0.15))
        self.normalizer_spec = normalizer or face.get("normalizer", "none")
        self.normalizer = get_normalizer(self.normalizer_spec)
        self.pipeline = FacePipeline(detector, landmark_model=landmark_model)

    def landmarks(self, image: np.ndarray) -> np.ndarray:
        """The largest face's 68 landmarks (the pipeline's detector and predictor, without the head
        pose `faces` adds: classify does not use it); NoFaceError when there is none."""
        box = self.pipeline.detector.detect(image, "largest")[0]
        return self.pipeline.predictor.predict(image, box)

    def crops(self, image: np.ndarray, landmarks: np.ndarray):
        """(original crop, normalized crop), uint8 (S, S, 3) each, for a face and its 68 landmarks
        (float32 (68, 2) pixels of `image`, RGB uint8 (H, W, 3))."""
        aligned = _core.align_face(image, landmarks, size=self.size, eye_distance=self.eye_distance)
        normalized = self.normalizer.normalize(aligned.image, aligned.landmarks).image
        crop = _core.crop_region(aligned.image, aligned.landmarks, self.region, size=self.crop_size,
                                 margin=self.margin)
        twin = _core.crop_region(normalized, aligned.landmarks, self.region, size=self.crop_size, margin=self.margin)
        return crop.image, twin.image

    def classify_image(self, image: np.ndarray, with_cam: bool = False, landmarks=None) -> dict:
        """{"p_abnormal", "label", "original", "normalized"[, "cam"]} for the largest face of an RGB
        uint8 (H, W, 3) image (or the face of `landmarks`, its 68 points); NoFaceError when there is none."""
        original, normalized = self.crops(image, self.landmarks(image) if landmarks is None else landmarks)
        o, n = original[None], normalized[None] if self.model.network.siamese else None
        if with_cam:
            p, maps = self.model.class_activation_maps(o, n)
        else:
            p, maps = self.model.predict_crops(o, n), None
        out = {"p_abnormal": float(p[0]), "label": "abnormal" if p[0] >= self.model.threshold else "normal",
               "original": original, "normalized": normalized}
        if maps is not None:
            out["cam"] = maps[0]
        return out
