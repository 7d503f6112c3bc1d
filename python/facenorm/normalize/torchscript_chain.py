"""`torchscript`: a chain of user-supplied TorchScript models, as in the ICMI 2024 paper
(an exported compression-decompression model, then a restoration model such as CodeFormer).

    --normalizer torchscript:models=ae.pt+restore.pt,size=512

Steps: align the face to size x size (similarity transform), run the modules one after the
other, warp the result back to the input frame and paste it in through a feathered mask.

Tensor convention, for every module of the chain:
  * input: float32 RGB in [0, 1], NCHW with N = 1 and H = W = size, on the CPU;
  * the face aligned like the FFHQ template of CodeFormer / GFPGAN (facexlib's 512 template,
    scaled): eye line horizontal, eye centres (means of iBUG points 36-41 and 42-47)
    eye_distance px apart (default 0.246 * size), eye midpoint at (0.5, 0.469) * size;
    where the crop leaves the photo it is filled with mirrored copies, blurred like FFHQ's
    padding for blend=face, sharp for blend=full (whose paste-back reaches the photo's margins);
  * output: a float32 tensor of the same shape (1, 3, size, size), or a tuple/list whose first
    element is that tensor (CodeFormer returns (image, logits, features)); values are clamped to
    [0, 1] before the next module sees them.
Anything else raises ModelError naming the file and what was expected.

Results: `image` = input * (1 - mask) + chain output * mask, where mask is the convex hull of the
68 landmarks (blend=face) or the whole crop (blend=full), with a soft edge `feather` px wide
lying inside it (and always limited to the part of the photo the crop covers). `changed` = mask
x mean over channels of |chain output - input| / 255, i.e. |result - input| / 255 before
rounding: 0 outside the mask; resampling alone leaves about 0.01 inside it. `landmarks` are the
input's: the convention asks the modules to keep the face where it is.
"""
import os
import threading

import cv2
import numpy as np
import torch

from .. import _core
from .._core import InputError, MissingFileError, ModelError
from .base import NormalizationResult, Normalizer, number_option

__all__ = ["EYE_DISTANCE_FRACTION", "EYES_X", "EYES_Y", "FEATHER_PER_EYE_DISTANCE", "TorchScriptNormalizer",
           "load_module", "run_module", "soft_polygon", "auto_feather"]

# facexlib's FFHQ 512 template: eyes at (192.98, 239.95) and (318.90, 240.19) -> distance 125.9
# = 0.246 * 512, midpoint (255.9, 240.1) = (0.500, 0.469) * 512.
EYE_DISTANCE_FRACTION = 0.246
EYES_X, EYES_Y = 0.5, 0.469
FEATHER_PER_EYE_DISTANCE = 0.1  # feather=auto: 10% of the input's eye distance (12 px on a 512 CelebA-HQ face)


class TorchScriptNormalizer(Normalizer):
    """A chain of TorchScript modules on the aligned face; see the module docstring for the convention."""

    name = "torchscript"

    def __init__(self, models=None, size=512, eye_distance=None, blend="face", feather="auto"):
        self.models = _parse_models(models)
        self.size = number_option("torchscript", "size", size, 64, 4096, int)
        self._eye_distance_set = eye_distance is not None and eye_distance != ""
        self.eye_distance = (number_option("torchscript", "eye_distance", eye_distance, 2.0, float(self.size))
                             if self._eye_distance_set else round(EYE_DISTANCE_FRACTION * self.size, 3))
        if blend not in ("face", "full"):
            raise InputError(f"torchscript: blend: expected 'face' or 'full', got '{blend}'")
        self.blend = blend
        self.feather = None if feather in (None, "", "auto") else number_option("torchscript", "feather", feather, 0.0, 1e4)
        for path in self.models:  # fail at construction, before any face is processed
            if not os.path.isfile(path):
                raise MissingFileError(f"{path}: TorchScript model file not found (torchscript normalizer, models=)")
        self._modules = None  # loaded on first use, then kept for this instance
        self._lock = threading.Lock()

    def options(self) -> dict:
        opts = {"models": "+".join(self.models), "size": self.size}
        if self._eye_distance_set:
            opts["eye_distance"] = self.eye_distance
        if self.blend != "face":
            opts["blend"] = self.blend
        if self.feather is not None:
            opts["feather"] = self.feather
        return opts

    def modules(self) -> list:
        """The loaded modules, in chain order (loaded once per instance)."""
        with self._lock:
            if self._modules is None:
                self._modules = [load_module(path) for path in self.models]
            return self._modules

    def _normalize(self, image, landmarks):
        # blend=full pastes the whole crop back, so align_face must not blur the photo's margins
        # (its FFHQ-like blurred fill reaches into the photo where the crop leaves it).
        aligned = _core.align_face(image, landmarks, size=self.size, eye_distance=self.eye_distance,
                                   eyes_x=EYES_X, eyes_y=EYES_Y, blur_background=self.blend == "face")
        output = self.run_chain(aligned.image)
        height, width = image.shape[:2]
        inverse = cv2.invertAffineTransform(np.asarray(aligned.matrix, np.float64))
        feather = self.feather if self.feather is not None else auto_feather(landmarks)
        mask = self._blend_mask(landmarks, inverse, (height, width), feather)
        x0, y0, x1, y1 = _nonzero_box(mask)
        result, changed = image.copy(), np.zeros((height, width), np.float32)
        if x1 > x0:  # warp back only the rows and columns the mask reaches (large photos)
            to_roi = inverse.copy()
            to_roi[:, 2] -= (x0, y0)
            back = cv2.warpAffine(output, to_roi, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)
            original = image[y0:y1, x0:x1].astype(np.float32)
            m = mask[y0:y1, x0:x1, None]
            blended = original + m * (back * 255.0 - original)
            result[y0:y1, x0:x1] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
            changed[y0:y1, x0:x1] = np.abs(blended - original).mean(axis=2) / 255.0
        info = {"models": list(self.models), "size": self.size, "eye_distance": self.eye_distance,
                "blend": self.blend, "feather": round(float(feather), 3),
                "mask_area": round(float(mask.mean()), 6)}
        return NormalizationResult(result, np.clip(changed, 0.0, 1.0), landmarks.copy(), info)

    def run_chain(self, aligned: np.ndarray) -> np.ndarray:
        """uint8 (size, size, 3) aligned face -> float32 (size, size, 3) in [0, 1] after every module."""
        x = torch.from_numpy(np.ascontiguousarray(aligned)).permute(2, 0, 1)[None].float().div(255.0)
        with torch.no_grad():
            for path, module in zip(self.models, self.modules()):
                x = run_module(path, module, x)
        return np.ascontiguousarray(x[0].permute(1, 2, 0).numpy(), dtype=np.float32)

    def _blend_mask(self, landmarks, inverse, shape, feather) -> np.ndarray:
        """float32 (H, W) in [0, 1]: where the chain's output replaces the input."""
        s = self.size - 1
        crop = cv2.transform(np.float32([[[0, 0], [s, 0], [s, s], [0, s]]]), inverse)[0]
        mask = soft_polygon(crop, shape, feather)  # outside the crop there is no output to paste
        if self.blend == "face":
            # The convex hull of all 68 points (jaw + brows): the restoration model redraws the
            # whole face coherently, eyes included, so holes at the eyes (face_no_eyes) would
            # leave two seams each; hair, ears and background, which it may invent, stay the input's.
            mask *= soft_polygon(cv2.convexHull(landmarks)[:, 0], shape, feather)
        return mask


def load_module(path: str):
    """torch.jit.load on the CPU, in eval mode; MissingFileError / ModelError name the file."""
    if not os.path.isfile(path):
        raise MissingFileError(f"{path}: TorchScript model file not found")
    try:
        module = torch.jit.load(path, map_location="cpu")
    except Exception as e:  # torch raises RuntimeError/ValueError for anything not TorchScript
        raise ModelError(f"{path}: not a TorchScript module ({type(e).__name__}: {_first_line(e)}); expected a "
                         "file written by torch.jit.save (e.g. torch.jit.trace(model, x).save(path)), "
                         "not a pickled model or state dict") from None
    module.eval()
    return module


def run_module(path: str, module, x: torch.Tensor) -> torch.Tensor:
    """One step of the chain: the module's image output, checked against the convention, clamped."""
    expected = tuple(x.shape)
    try:
        out = module(x)
    except Exception as e:
        raise ModelError(f"{path}: the module failed on a float32 {expected} RGB input in [0, 1] "
                         f"({type(e).__name__}: {_first_line(e)})") from None
    if isinstance(out, (tuple, list)):  # CodeFormer-like: (image, extras...)
        if not out:
            raise ModelError(f"{path}: the module returned an empty {type(out).__name__}; expected a tensor {expected}")
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise ModelError(f"{path}: the module returned {type(out).__name__}; expected a float32 tensor {expected}")
    if tuple(out.shape) != expected:
        raise ModelError(f"{path}: the module returned shape {tuple(out.shape)}; expected {expected} "
                         "(float32 RGB NCHW, the input's shape)")
    if out.dtype != torch.float32:
        raise ModelError(f"{path}: the module returned {out.dtype}; expected torch.float32 (add .float() to its output)")
    if not bool(torch.isfinite(out).all()):
        raise ModelError(f"{path}: the module returned NaN or infinite values; expected an image in [0, 1]")
    return out.clamp(0.0, 1.0)


def soft_polygon(points: np.ndarray, shape, feather: float) -> np.ndarray:
    """float32 (H, W): 1 inside the polygon, falling to ~0 at its edge over `feather` px inside it."""
    height, width = shape
    mask = np.zeros((height, width), np.float32)
    # Work in the polygon's bounding box plus the blur's reach: a face is a small part of a big photo.
    margin = int(np.ceil(feather)) + 2
    x0, y0 = np.floor(points.min(axis=0)).astype(int) - margin
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + margin + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return mask
    roi = np.zeros((y1 - y0, x1 - x0), np.uint8)
    fixed = np.round((np.asarray(points, np.float64) - (x0, y0)) * 16).astype(np.int32)  # 4 sub-pixel bits
    cv2.fillConvexPoly(roi, fixed, 255, cv2.LINE_AA, shift=4)
    soft = roi.astype(np.float32) / 255.0
    if feather > 0:
        # Erode by half the feather, then blur with sigma = feather / 4: the ramp runs from ~0.02 at
        # the polygon's edge to ~0.98 `feather` px inside, and the blur's tail ends feather/2 px
        # outside. Replicated borders: a polygon cut by the photo's edge stays whole up to it.
        radius = max(1, int(round(feather / 2)))
        soft = cv2.erode(soft, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)))
        soft = cv2.GaussianBlur(soft, (0, 0), feather / 4, borderType=cv2.BORDER_REPLICATE)
    mask[y0:y1, x0:x1] = soft
    return mask


def auto_feather(landmarks: np.ndarray) -> float:
    """feather=auto: a fixed fraction of the eye distance, so the edge scales with the face."""
    right, left = landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)
    return max(2.0, FEATHER_PER_EYE_DISTANCE * float(np.hypot(*(left - right))))


def _nonzero_box(mask: np.ndarray) -> tuple:
    """(x0, y0, x1, y1), exclusive ends, around the mask's nonzero pixels; empty -> (0, 0, 0, 0)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return 0, 0, 0, 0
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _parse_models(models) -> list:
    """'a.pt+b.pt' (the CLI's form), or a list of paths -> [path, ...]."""
    if isinstance(models, str):
        paths = [p.strip() for p in models.split("+")]
    elif isinstance(models, os.PathLike):
        paths = [os.fspath(models)]
    elif isinstance(models, (list, tuple)):
        paths = [os.fspath(p) for p in models]
    else:
        paths = []
    if not paths or not all(paths):
        raise InputError(f"torchscript: models: expected one or more TorchScript files separated by '+' "
                         f"(models=ae.pt+restore.pt), got {models!r}")
    return paths


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""
