"""`inpaint`: automatic inpainting normalization in the spirit of the JBHI 2025 paper.

anomaly map (from the normal-face model: the robust texture residual, 1 - Tukey weight per pixel,
and how far the robust shape correction moves each pixel) -> threshold -> dilate -> fill (the
model's normal face by default; OpenCV Telea or Navier-Stokes; or your TorchScript inpainter)
-> optionally a second pass on what the first one left anomalous.

A TorchScript inpainter takes (image, mask) and returns the image: float32 RGB in [0, 1] NCHW
(1, 3, S, S) and float32 (1, 1, S, S) with 1 = hole, S = `size`; it sees a square crop around the
hole resized to S x S, and only the hole's pixels are taken from its answer.

    fn.normalize.get_normalizer("inpaint")                               # model fill, one pass
    fn.normalize.get_normalizer("inpaint:method=telea")                  # OpenCV Telea
    fn.normalize.get_normalizer("inpaint:method=ns,passes=2,threshold=0.4")
    fn.normalize.get_normalizer("inpaint:method=torchscript,inpainter=mat.pt,size=512")
"""
import cv2
import numpy as np

from .. import _core
from ..geometry import eye_distance
from .base import NormalizationResult, Normalizer, number_option
from .face_fit import difference_map
from .statistical import StatisticalNormalizer

__all__ = ["METHODS", "InpaintNormalizer"]

# telea / ns: OpenCV's diffusion inpainting (fills from the hole's border: smooth, no structure);
# model: the statistical normalizer's face (shape corrected, projected texture) inside the hole;
# torchscript: your learned inpainter.
METHODS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS, "model": None, "torchscript": None}


class InpaintNormalizer(Normalizer):
    name = "inpaint"

    # dilate and radius are pixels of a face whose eyes are 100 px apart (auto = 3), scaled to the
    # face given, so one setting means the same on a 512 px photo and on an aligned 1024 px face.
    def __init__(self, method="model", threshold="0.5", dilate="auto", radius="auto", passes="1", model=None,
                 inpainter=None, size="256"):
        if method not in METHODS:
            raise _core.InputError(f"option method: expected one of {', '.join(METHODS)}, got '{method}'")
        if method == "torchscript" and not inpainter:
            raise _core.InputError("option inpainter: method=torchscript needs inpainter=PATH (a TorchScript f(image, mask))")
        self.method, self.model_path, self.inpainter_path = method, model, inpainter
        self.threshold = number_option("inpaint", "threshold", threshold, 0.01, 0.99)
        self.dilate = dilate if dilate == "auto" else number_option("inpaint", "dilate", dilate, 0, 100)
        self.radius = radius if radius == "auto" else number_option("inpaint", "radius", radius, 1, 100)
        self.passes = number_option("inpaint", "passes", passes, 1, 2, int)
        self.size = number_option("inpaint", "size", size, 16, 4096, int)
        self.statistical = StatisticalNormalizer(model=model)
        self._inpainter = None

    def options(self) -> dict:
        current = {"method": self.method, "threshold": self.threshold, "dilate": self.dilate, "radius": self.radius,
                   "passes": self.passes}
        defaults = {"method": "model", "threshold": 0.5, "dilate": "auto", "radius": "auto", "passes": 1}
        opts = {k: v for k, v in current.items() if v != defaults[k]}
        if self.model_path:
            opts["model"] = self.model_path
        if self.method == "torchscript":
            opts.update(inpainter=self.inpainter_path, size=self.size)
        return opts

    def hole_mask(self, image, landmarks, shape_anomaly: bool = True) -> np.ndarray:
        """uint8 (H, W), 255 = to inpaint: the thresholded, dilated anomaly map."""
        return self.hole_and_fill(image, landmarks, shape_anomaly)[0]

    def hole_and_fill(self, image, landmarks, shape_anomaly: bool = True) -> tuple:
        """(hole mask, the statistical normalizer's face): one model fit gives both. The second pass
        leaves the shape part of the map out: the landmarks, hence that part, have not changed."""
        normal, anomaly = self.statistical.normalize_and_map(image, landmarks, shape_anomaly=shape_anomaly)
        mask = (anomaly > self.threshold).astype(np.uint8) * 255
        scale = eye_distance(landmarks) / 100.0  # options in px of a face with eyes 100 px apart
        d = (3.0 if self.dilate == "auto" else self.dilate) * scale
        if d >= 0.5 and mask.any():
            k = 2 * int(round(d)) + 1
            mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        return mask, normal.image

    def _normalize(self, image, landmarks):
        out, masks = image, []
        for k in range(self.passes):
            mask, normal = self.hole_and_fill(out, landmarks, shape_anomaly=k == 0)
            if not mask.any():
                break
            out = self.fill(out, mask, landmarks, normal)
            masks.append(mask)
        union = np.zeros(image.shape[:2], np.uint8)
        for m in masks:
            union |= m
        info = {"method": self.method, "passes_run": len(masks), "hole_pixels": [int((m > 0).sum()) for m in masks]}
        return NormalizationResult(out if masks else image.copy(), difference_map(image, out),
                                   landmarks.copy(), info)

    def fill(self, image, mask, landmarks, normal) -> np.ndarray:
        x, y, w, h = cv2.boundingRect(mask)
        radius = (3.0 if self.radius == "auto" else self.radius) * eye_distance(landmarks) / 100.0
        pad = int(radius) + 8
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(image.shape[1], x + w + pad), min(image.shape[0], y + h + pad)
        out = image.copy()
        if self.method == "torchscript":
            return self.fill_torchscript(image, mask)
        if self.method == "model":  # feathered paste of the model's face, inside the hole's box
            roi = (slice(y0, y1), slice(x0, x1))
            hole = mask[roi].astype(np.float32) / 255
            alpha = np.maximum(cv2.GaussianBlur(hole, (0, 0), max(1.0, radius / 2)), hole)[..., None]
            out[roi] = np.clip(image[roi] * (1 - alpha) + normal[roi] * alpha + 0.5, 0, 255).astype(np.uint8)
            return out
        # Inpainting is local: the crop around the hole gives the same answer as the whole image, faster.
        out[y0:y1, x0:x1] = cv2.inpaint(np.ascontiguousarray(image[y0:y1, x0:x1]), np.ascontiguousarray(mask[y0:y1, x0:x1]),
                                        max(1.0, radius), METHODS[self.method])
        return out

    def fill_torchscript(self, image, mask) -> np.ndarray:
        import torch
        from .torchscript_chain import load_module

        if self._inpainter is None:
            self._inpainter = load_module(self.inpainter_path)
        x, y, w, h = cv2.boundingRect(mask)
        side = int(max(w, h) * 2)
        cx, cy = x + w / 2, y + h / 2
        # square crop around the hole, mirrored past the image border
        m = np.array([[self.size / side, 0, self.size / 2 - cx * self.size / side],
                      [0, self.size / side, self.size / 2 - cy * self.size / side]])
        crop = cv2.warpAffine(image, m, (self.size, self.size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
        hole = cv2.warpAffine(mask, m, (self.size, self.size), flags=cv2.INTER_NEAREST)
        img_t = torch.from_numpy(crop).permute(2, 0, 1)[None].float() / 255
        hole_t = torch.from_numpy((hole > 0).astype(np.float32))[None, None]
        with torch.no_grad():
            result = self._inpainter(img_t, hole_t)
        if isinstance(result, (tuple, list)):
            result = result[0]
        if not isinstance(result, torch.Tensor) or tuple(result.shape) != (1, 3, self.size, self.size):
            raise _core.ModelError(f"{self.inpainter_path}: expected the inpainter to return a (1, 3, {self.size}, "
                                   f"{self.size}) tensor, got {getattr(result, 'shape', type(result).__name__)}")
        if not torch.isfinite(result).all():
            raise _core.ModelError(f"{self.inpainter_path}: the inpainter returned NaN or inf")
        filled = (result[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
        back = cv2.warpAffine(filled, m, (image.shape[1], image.shape[0]), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REFLECT)
        out = image.copy()
        out[mask > 0] = back[mask > 0]
        return out
