"""`symmetry`: a unilateral anomaly replaced by the mirror image of the other side of the face.

The facial midline comes from the landmarks that a one-sided lip or palsy leaves in place (nose
bridge and tip, chin, canthi: facenorm.palsy.facial_midline), moved sideways onto the lower face's
own midline points. The affected side is the one whose landmarks the normal-face model rejects
more (mere left/right asymmetry cannot say which side is the odd one). Of that side, the points
the model rejects (gate=model; gate=none: all of the region's points) go to the mirror image of
their partners, and the face follows: by a piecewise-affine warp (blend=warp, the default), or by
pasting the mirrored other half over them, blended by Poisson editing (blend=seamless, OpenCV's
seamlessClone) or a feathered alpha (blend=feather).

    fn.normalize.get_normalizer("symmetry")                     # side chosen automatically
    fn.normalize.get_normalizer("symmetry:side=left,region=mouth,blend=seamless")
"""
import cv2
import numpy as np

from .. import _core
from ..palsy.midline import MIRROR, FaceFrame, facial_midline
from .base import NormalizationResult, Normalizer, number_option
from .face_fit import difference_map, fit_shape, warp_to_shape
from .normal_model import shared_model

__all__ = ["REGIONS", "GATES", "SIDES", "BLENDS", "SymmetryNormalizer", "gate_map", "hull_mask", "LOWER_MIDLINE",
           "local_midline", "reflection_matrix"]

# region -> the landmarks that judge the side and may be mirrored; the pixels mirrored lie in their
# convex hull grown by 20% of the mouth width
REGIONS = {
    "upper_lip": list(range(48, 55)) + list(range(60, 65)),   # cleft lip
    "mouth": list(range(48, 68)),                              # palsy: the whole mouth
    "mouth_nose": list(range(31, 36)) + list(range(48, 68)),   # cleft lip and nose
}
GATES = ("model", "none")  # model: only what the normal-face model rejects is mirrored; none: the whole half
SIDES = ("auto", "left", "right")  # the subject's side to replace
# warp (default): the affected side's landmarks move onto the mirror image of the other side's and
# the face is warped with them (piecewise-affine), keeping its own skin and lip texture;
# seamless / feather: the affected side's pixels are replaced by the mirrored other half, blended
# by Poisson editing or a feathered alpha. On 39 CelebA faces with unilateral LT-v2 (exact
# landmarks in) dlib's upper lip on the result was nearer the control's than on the copy in 72% of
# faces with warp, 51% seamless, 49% feather: pasted mirror pixels leave a step in the lip contour.
BLENDS = ("warp", "seamless", "feather")


class SymmetryNormalizer(Normalizer):
    name = "symmetry"

    def __init__(self, side="auto", region="upper_lip", blend="warp", feather="3", gate="model", model=None):
        if side not in SIDES:
            raise _core.InputError(f"option side: expected one of {', '.join(SIDES)}, got '{side}'")
        if region not in REGIONS:
            raise _core.InputError(f"option region: expected one of {', '.join(REGIONS)}, got '{region}'")
        if blend not in BLENDS:
            raise _core.InputError(f"option blend: expected one of {', '.join(BLENDS)}, got '{blend}'")
        if gate not in GATES:
            raise _core.InputError(f"option gate: expected one of {', '.join(GATES)}, got '{gate}'")
        self.side, self.region, self.blend, self.gate, self.model_path = side, region, blend, gate, model
        self.feather = number_option("symmetry", "feather", feather, 0, 50)  # px across the midline seam

    def options(self) -> dict:
        current = {"side": self.side, "region": self.region, "blend": self.blend, "feather": self.feather,
                   "gate": self.gate}
        defaults = {"side": "auto", "region": "upper_lip", "blend": "warp", "feather": 3.0, "gate": "model"}
        opts = {k: v for k, v in current.items() if v != defaults[k]}
        return dict(opts, model=self.model_path) if self.model_path else opts

    def affected_side(self, landmarks, weights) -> tuple:
        """('left' | 'right', {side: summed rejection}) - the subject's side whose region landmarks the
        normal-face model rejects more (1 - robust weight: departure in units of normal variation)."""
        frame = local_midline(landmarks)
        lateral = frame.coords(landmarks)[:, 0]
        points = np.array(REGIONS[self.region])
        scores = {}
        for side, sign in (("left", 1), ("right", -1)):
            on_side = points[sign * lateral[points] > 1e-3 * np.abs(lateral).max()]
            scores[side] = float((1.0 - weights[on_side]).sum())
        return max(scores, key=scores.get), {k: round(v, 3) for k, v in scores.items()}

    def _normalize(self, image, landmarks):
        h, w = image.shape[:2]
        weights = fit_shape(shared_model(self.model_path), landmarks).weights if (
            self.side == "auto" or self.gate == "model") else np.zeros(68, np.float32)
        side, rejection = (self.side, {}) if self.side != "auto" else self.affected_side(landmarks, weights)
        frame = local_midline(landmarks)
        reflection = reflection_matrix(frame.origin, frame.left)
        sign = 1 if side == "left" else -1
        replaced = [i for i in REGIONS[self.region] if sign * frame.coords(landmarks[i:i + 1])[0, 0] > 0]
        # gate: how far each replaced point goes towards its mirrored partner (1 - robust weight by
        # default, so points a normal face would show stay put and a normal face is left alone)
        gate = np.zeros(68, np.float32)
        gate[replaced] = 1.0 if self.gate == "none" else 1.0 - weights[replaced]
        partners = cv2.transform(landmarks[MIRROR][None], reflection)[0]
        target = (landmarks + gate[:, None] * (partners - landmarks)).astype(np.float32)
        if self.blend == "warp":
            out, target, applied = warp_to_shape(image, landmarks, target)
            pixels = int((gate > 0.01).sum()) if applied > 0 else 0
        else:
            out, pixels = self.mirror_half(image, landmarks, frame, reflection, sign, gate)
            applied = 1.0
        info = {"side": side, "chosen": "auto" if self.side == "auto" else "given", "rejection": rejection,
                "moved_points": [int(i) for i in np.flatnonzero(gate > 0.01)],
                "midline": {"origin": [round(float(v), 2) for v in frame.origin],
                            "direction": [round(float(v), 4) for v in frame.down]},
                "pixels": pixels}
        if applied < 1.0:  # said, never silent: 0 = the warp was refused (a landmark off the image)
            info["fraction_applied"] = applied
        return NormalizationResult(out, difference_map(image, out), target, info)

    def mirror_half(self, image, landmarks, frame, reflection, sign, gate) -> tuple:
        """(image with the gated part of the affected half replaced by its mirror image, pixels
        replaced). All work happens in a box around the region (a face is a small part of a photo)."""
        h, w = image.shape[:2]
        points = landmarks[REGIONS[self.region]]
        margin = self.feather + 0.4 * float(np.linalg.norm(landmarks[54] - landmarks[48])) + 4
        x0, y0 = np.maximum(np.floor(points.min(0) - margin).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(points.max(0) + margin).astype(int) + 1, [w, h])
        offset = np.array([x0, y0], np.float64)
        local = (landmarks - offset).astype(np.float32)
        # mirrored(p) = image(R (p + offset)): warpAffine with the inverse map R o shift
        to_source = np.hstack([reflection[:, :2], (reflection[:, :2] @ offset + reflection[:, 2])[:, None]])
        mirrored = cv2.warpAffine(image, to_source, (int(x1 - x0), int(y1 - y0)),
                                  flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)
        ys, xs = np.mgrid[y0:y1, x0:x1]
        lateral = sign * ((xs - frame.origin[0]) * frame.left[0] + (ys - frame.origin[1]) * frame.left[1])
        region = hull_mask(local[REGIONS[self.region]], (int(y1 - y0), int(x1 - x0)),
                           0.2 * float(np.linalg.norm(landmarks[54] - landmarks[48])))
        half = region & (lateral > 0) & (gate_map(local, gate, region.shape) > 0.25)
        out = image.copy()
        if half.any():
            roi = (slice(y0, y1), slice(x0, x1))
            out[roi] = self.blend_half(np.ascontiguousarray(image[roi]), mirrored, half, lateral)
        return out, int(half.sum())

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


def gate_map(landmarks, gate, shape) -> np.ndarray:
    """float32 (H, W): each gated point's gate spread over a disc (radius 3 sigma, sigma = 12% of the
    mouth width) with soft edges; the maximum where discs overlap."""
    sigma = 0.12 * float(np.linalg.norm(landmarks[54] - landmarks[48])) + 1.0
    out = np.zeros(shape, np.float32)
    for i in np.flatnonzero(gate > 0.01):
        x, y = int(round(float(landmarks[i, 0]))), int(round(float(landmarks[i, 1])))
        if 0 <= x < shape[1] and 0 <= y < shape[0]:
            out[y, x] = max(out[y, x], gate[i])
    if out.any():
        x0, y0, x1, y1 = _box(out > 0, int(4 * sigma) + 2, shape)
        k = int(6 * sigma) | 1
        part = cv2.dilate(out[y0:y1, x0:x1], cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        out[y0:y1, x0:x1] = cv2.GaussianBlur(part, (0, 0), sigma / 2)
    return out


def hull_mask(points, shape, grow: float) -> np.ndarray:
    """bool (H, W): the convex hull of points, grown by `grow` pixels (lips plus the skin around)."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, np.round(cv2.convexHull(points.astype(np.float32))[:, 0] * 16).astype(np.int32), 1,
                       lineType=cv2.LINE_8, shift=4)
    k = 2 * int(round(grow)) + 1
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0


def _box(mask, pad: int, shape) -> tuple:
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    return max(0, x - pad), max(0, y - pad), min(shape[1], x + w + pad), min(shape[0], y + h + pad)


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
