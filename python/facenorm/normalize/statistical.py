"""`statistical`: normalization by a robust projection onto the normal-face model.

The landmarks the model rejects are moved to its projection (piecewise-affine warp of the
full-resolution face, so every detail moves with them), then the projected lower-face texture is
blended in where the texture fit rejected pixels (`texture=residual`, the default), over the whole
lower face (`texture=full`), or not at all (`texture=off`). Outside the lower face nothing changes.

    fn.normalize.get_normalizer("statistical")                   # the shipped model
    fn.normalize.get_normalizer("statistical:model=my.npz,texture=full")
"""
import cv2
import numpy as np

from .. import _core
from ..geometry import eye_distance
from .base import NormalizationResult, Normalizer, check_face, number_option
from .face_fit import MOVABLE, difference_map, fit_shape, fit_texture, frame_scale, warp_to_shape
from .normal_model import shared_model
from .shape_frame import LOWER_FACE_OUTLINE, apply_affine, from_shape_free, points_roi

__all__ = ["TEXTURE_MODES", "StatisticalNormalizer", "SHAPE_ANOMALY_PX", "DISPLACEMENT_SCALE", "displacement_map"]

TEXTURE_MODES = ("residual", "full", "off")


class StatisticalNormalizer(Normalizer):
    name = "statistical"

    def __init__(self, model=None, texture="residual", tukey="4.685", texture_tukey="6", bound="3", feather="1.5",
                 shape="on", points="lower"):
        if texture not in TEXTURE_MODES:
            raise _core.InputError(f"option texture: expected one of {', '.join(TEXTURE_MODES)}, got '{texture}'")
        if shape not in ("on", "off"):
            raise _core.InputError(f"option shape: expected on or off, got '{shape}'")
        if points not in MOVABLE:
            raise _core.InputError(f"option points: expected one of {', '.join(MOVABLE)}, got '{points}'")
        self.points = points
        self.model_path = model
        self.model = shared_model(model)
        self.texture = texture
        self.shape = shape
        self.tukey = number_option("statistical", "tukey", tukey, 0.5, 50)
        # Texture varies in ways a 60-component PCA never saw (stubble, make-up, watermarks, shadows):
        # a wider cut-off than the shape's keeps those, while a texture far off the model is still cut.
        self.texture_tukey = number_option("statistical", "texture_tukey", texture_tukey, 0.5, 50)
        self.bound = number_option("statistical", "bound", bound, 0.1, 10)
        self.feather = number_option("statistical", "feather", feather, 0, 20)  # frame pixels of blur on the blend mask

    def options(self) -> dict:
        opts = {"model": self.model_path} if self.model_path else {}
        defaults = {"texture": "residual", "shape": "on", "tukey": 4.685, "texture_tukey": 6.0, "bound": 3.0,
                    "feather": 1.5, "points": "lower"}
        current = {"texture": self.texture, "shape": self.shape, "tukey": self.tukey, "texture_tukey": self.texture_tukey,
                   "bound": self.bound, "feather": self.feather, "points": self.points}
        opts.update({k: v for k, v in current.items() if v != defaults[k]})
        return opts

    def _normalize(self, image, landmarks):
        return self.normalize_and_map(image, landmarks, anomaly=False)[0]

    def normalize_and_map(self, image, landmarks, anomaly: bool = True, shape_anomaly: bool = True) -> tuple:
        """(NormalizationResult, anomaly map or None). The map, float32 (H, W) in [0, 1], says where
        the face departs from the normal-face model: the larger of the texture fit's rejection
        (1 - robust weight) and the shape correction's displacement (1 at SHAPE_ANOMALY_PX px of a
        face with eyes 100 px apart; left out with shape_anomaly=False). One shape fit and one
        texture fit serve both."""
        check_face(image, landmarks)
        shape = fit_shape(self.model, landmarks, self.tukey, self.bound, self.points)
        if self.shape == "on":
            warped, target, applied = warp_to_shape(image, landmarks, shape.target)
        else:
            warped, target, applied = image.copy(), landmarks.copy(), 1.0
        out, info, texture_anomaly = warped, {}, np.zeros(image.shape[:2], np.float32)
        if self.texture != "off" or anomaly:
            try:
                out, info, texture_anomaly = self.blend_texture(warped, target, anomaly)
            except _core.InputError as e:  # a face too turned for the texture frame: shape only, said so
                info = {"texture_skipped": str(e)}
        info = {"shape_outliers": [int(i) for i in np.flatnonzero(shape.weights < 0.5)],
                "shape_max_move_px": round(float(np.abs(target - landmarks).max()), 3), **info}
        if applied < 1.0:  # said, never silent: 0 = the warp was refused (a landmark off the image)
            info["shape_fraction_applied"] = applied
        result = NormalizationResult(out, difference_map(image, out), target, info)
        if not anomaly or not shape_anomaly:
            return result, texture_anomaly if anomaly else None
        unit = SHAPE_ANOMALY_PX * eye_distance(landmarks) / 100.0
        moved = displacement_map(landmarks, target, image.shape)
        np.maximum(texture_anomaly, np.minimum(moved / unit, 1.0), out=texture_anomaly)
        return result, texture_anomaly

    def blend_texture(self, image, landmarks, anomaly: bool = False) -> tuple:
        """(image with the projected texture blended in, info, the texture anomaly in image pixels
        or None). `landmarks` are the image's."""
        fit = fit_texture(self.model, image, landmarks, self.texture_tukey, self.bound)
        mask = self.model.texture_mask.astype(np.float32)
        alpha = {"full": mask, "residual": fit.anomaly, "off": np.zeros_like(mask)}[self.texture]
        if self.feather > 0 and self.texture != "off":
            alpha = cv2.GaussianBlur(alpha, (0, 0), self.feather) * mask
        frame_points = apply_affine(fit.matrix, landmarks)
        roi = points_roi(landmarks[LOWER_FACE_OUTLINE], image.shape, margin=2 * frame_scale(fit.matrix))
        layers = [fit.reconstruction, alpha] + ([fit.anomaly] if anomaly else [])
        back = from_shape_free(np.dstack(layers).astype(np.float32), self.model.mean_shape, frame_points,
                               fit.matrix, image.shape, roi)
        x0, y0, x1, y1 = roi
        out = image.copy()
        if self.texture != "off":
            a = np.clip(back[..., 3:4], 0, 1)
            part = out[y0:y1, x0:x1].astype(np.float32)
            out[y0:y1, x0:x1] = np.clip(part * (1 - a) + back[..., :3] * 255 * a + 0.5, 0, 255).astype(np.uint8)
        info = {"texture_outlier_fraction": round(float((fit.anomaly[self.model.texture_mask] > 0.5).mean()), 4),
                "texture_iterations": fit.iterations}
        texture_anomaly = None
        if anomaly:
            texture_anomaly = np.zeros(image.shape[:2], np.float32)
            texture_anomaly[y0:y1, x0:x1] = np.clip(back[..., 4], 0, 1)
        return out, info, texture_anomaly

    def anomaly_map(self, image, landmarks) -> np.ndarray:
        """The anomaly map of normalize_and_map (see there)."""
        return self.normalize_and_map(image, landmarks)[1]


SHAPE_ANOMALY_PX = 2.0
DISPLACEMENT_SCALE = 4  # the displacement field is smooth: a quarter-resolution grid is enough


def displacement_map(landmarks, target, shape) -> np.ndarray:
    """float32 (H, W): how far the piecewise-affine warp landmarks -> target moves each pixel,
    computed on a quarter-resolution grid over the face's box (the field is smooth and zero
    outside the moved triangles, which lie inside it)."""
    h, w = shape[:2]
    out = np.zeros((h, w), np.float32)
    moving = np.abs(target - landmarks).max(1) > 1e-3
    if not moving.any():
        return out
    x0, y0, x1, y1 = points_roi(np.vstack([landmarks, target]), shape, margin=8)
    f = DISPLACEMENT_SCALE
    hs, ws = (y1 - y0 + f - 1) // f, (x1 - x0 + f - 1) // f
    grid = np.dstack(np.meshgrid(np.arange(ws, dtype=np.float32), np.arange(hs, dtype=np.float32)))
    offset = np.array([x0, y0], np.float32)
    src = np.clip((landmarks - offset) / f, 0, [ws - 1, hs - 1]).astype(np.float32)
    dst = np.clip((target - offset) / f, 0, [ws - 1, hs - 1]).astype(np.float32)
    try:
        moved = _core.piecewise_affine_warp(np.ascontiguousarray(grid), src, dst)
    except _core.InputError:
        return out
    d = np.linalg.norm(moved - grid, axis=2) * f
    out[y0:y1, x0:x1] = cv2.resize(d, (ws * f, hs * f), interpolation=cv2.INTER_LINEAR)[:y1 - y0, :x1 - x0]
    return out
