"""`symmetry`: a unilateral anomaly replaced by the mirror image of the other half of the face.

The facial midline comes from the landmarks that a one-sided lip or palsy leaves in place (nose
bridge and tip, chin, canthi: facenorm.palsy.facial_midline). The affected side is the one whose
region landmarks depart further from the normal-face model's robust projection (the anomaly is
what the model of normal faces cannot explain; mere left/right asymmetry cannot say which side is
the odd one). Inside the region, that half is replaced by the reflection of the other half,
blended seamlessly (Poisson, OpenCV's seamlessClone) so skin tone and lighting carry over.

    fn.normalize.get_normalizer("symmetry")                     # side chosen automatically
    fn.normalize.get_normalizer("symmetry:side=left,region=mouth_nose,blend=feather")
"""
import cv2
import numpy as np

from .. import _core
from ..palsy.midline import MIRROR, FaceFrame, facial_midline
from .base import NormalizationResult, Normalizer
from .face_fit import difference_map, fit_shape
from .statistical import cached_model, option_float

REGIONS = {  # region name -> landmarks that judge the side
    "mouth": list(range(48, 68)),
    "mouth_nose": list(range(31, 36)) + list(range(48, 68)),
    "face_no_eyes": list(range(0, 68)),
}
SIDES = ("auto", "left", "right")  # the subject's side to replace
BLENDS = ("seamless", "feather")


class SymmetryNormalizer(Normalizer):
    name = "symmetry"

    def __init__(self, side="auto", region="mouth", blend="seamless", feather="3", model=None):
        if side not in SIDES:
            raise _core.InputError(f"option side: expected one of {', '.join(SIDES)}, got '{side}'")
        if region not in REGIONS:
            raise _core.InputError(f"option region: expected one of {', '.join(REGIONS)}, got '{region}'")
        if blend not in BLENDS:
            raise _core.InputError(f"option blend: expected one of {', '.join(BLENDS)}, got '{blend}'")
        self.side, self.region, self.blend, self.model_path = side, region, blend, model
        self.feather = option_float("feather", feather, 0, 50)  # px across the midline seam

    def options(self) -> dict:
        current = {"side": self.side, "region": self.region, "blend": self.blend, "feather": self.feather}
        defaults = {"side": "auto", "region": "mouth", "blend": "seamless", "feather": 3.0}
        opts = {k: v for k, v in current.items() if v != defaults[k]}
        return dict(opts, model=self.model_path) if self.model_path else opts

    def affected_side(self, landmarks) -> tuple:
        """('left' | 'right', {side: departure px}) - the subject's side departing more from the
        normal-face model's robust projection over the region's landmarks."""
        fit = fit_shape(cached_model(self.model_path), landmarks)
        departure = 1.0 - fit.weights  # in units of what normal faces show at each point
        frame = local_midline(landmarks)
        lateral = frame.coords(landmarks)[:, 0]
        points = np.array(REGIONS[self.region])
        scores = {}
        for side, sign in (("left", 1), ("right", -1)):
            on_side = points[sign * lateral[points] > 1e-3 * np.abs(lateral).max()]
            scores[side] = float(departure[on_side].sum())
        return max(scores, key=scores.get), {k: round(v, 3) for k, v in scores.items()}

    def _normalize(self, image, landmarks):
        h, w = image.shape[:2]
        side, departures = (self.side, {}) if self.side != "auto" else self.affected_side(landmarks)
        frame = local_midline(landmarks)
        reflection = reflection_matrix(frame.origin, frame.left)
        mirrored = cv2.warpAffine(image, reflection, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        region = _core.region_mask(landmarks, (h, w), self.region, 0.0) > 0.5
        sign = 1 if side == "left" else -1
        ys, xs = np.mgrid[0:h, 0:w]
        lateral = (xs - frame.origin[0]) * frame.left[0] + (ys - frame.origin[1]) * frame.left[1]
        half = region & (sign * lateral > 0)
        if not half.any():
            raise _core.InputError("symmetry: the region has no pixels on the affected side (landmarks outside the image?)")
        out = self.blend_half(image, mirrored, half, sign * lateral)
        new_landmarks = landmarks.copy()
        replaced = [i for i in REGIONS[self.region] if sign * frame.coords(landmarks[i:i + 1])[0, 0] > 0]
        partners = cv2.transform(landmarks[MIRROR][None], reflection)[0]
        new_landmarks[replaced] = partners[replaced]
        info = {"side": side, "chosen": "auto" if self.side == "auto" else "given", "departure_px": departures,
                "midline": {"origin": [round(float(v), 2) for v in frame.origin],
                            "direction": [round(float(v), 4) for v in frame.down]},
                "pixels": int(half.sum())}
        return NormalizationResult(out, difference_map(image, out), new_landmarks.astype(np.float32), info)

    def blend_half(self, image, mirrored, half, lateral):
        """The mirrored pixels pasted over `half`: Poisson (seamless) or a feathered alpha."""
        x, y, bw, bh = cv2.boundingRect(half.astype(np.uint8))
        pad = int(self.feather) + 3
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(image.shape[1], x + bw + pad), min(image.shape[0], y + bh + pad)
        roi = (slice(y0, y1), slice(x0, x1))
        if self.blend == "seamless" and 0 < x0 and 0 < y0 and x1 < image.shape[1] and y1 < image.shape[0]:
            mask = (half[roi] * 255).astype(np.uint8)
            # seamlessClone needs the mask inside the source: the one-pixel frame stays original
            mask[[0, -1], :] = 0
            mask[:, [0, -1]] = 0
            out = image.copy()
            patch = cv2.seamlessClone(np.ascontiguousarray(mirrored[roi]), np.ascontiguousarray(image[roi]), mask,
                                      ((x1 - x0) // 2, (y1 - y0) // 2), cv2.NORMAL_CLONE)
            out[roi] = patch
            return out
        alpha = half.astype(np.float32)
        if self.feather > 0:
            alpha = cv2.GaussianBlur(alpha, (0, 0), self.feather)
            alpha *= np.clip(lateral / max(self.feather, 1e-3) + 0.5, 0, 1)  # fade in across the midline
        a = alpha[..., None]
        return np.clip(image * (1 - a) + mirrored * a + 0.5, 0, 255).astype(np.uint8)


LOWER_MIDLINE = [33, 51, 57, 62, 66, 8]  # subnasale, lip midpoints, chin


def local_midline(landmarks) -> FaceFrame:
    """The facial midline's direction, moved sideways onto the lower face's own midline points
    (median lateral offset): a reflection off by d pixels would shift the mirrored lip by 2d."""
    frame = facial_midline(landmarks)
    offset = float(np.median(frame.coords(landmarks[LOWER_MIDLINE])[:, 0]))
    return FaceFrame(origin=frame.origin + offset * frame.left, down=frame.down, left=frame.left)


def reflection_matrix(origin: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """2x3 reflection about the line through origin perpendicular to `normal` (its own inverse)."""
    n = np.asarray(normal, np.float64) / np.linalg.norm(normal)
    r = np.eye(2) - 2 * np.outer(n, n)
    t = 2 * (np.asarray(origin, np.float64) @ n) * n
    return np.hstack([r, t[:, None]])
