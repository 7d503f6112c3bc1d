"""The trained cascaded FCN as a landmark predictor: `predict(image, box)` like dlib's, so
FacePipeline and every command take it in place of dlib's shape predictor.

A model folder holds `fcn.pt` (the weights) and `model.json` (format, version, the network's
width divisor, the crop, the decoding, sha256 of the weights). The default is models/landmark_fcn.
"""
import os

import numpy as np

from ..._core import InputError, ModelError
from ...models import read_model_folder
from .crop import SCALE, SHIFT_DOWN, SIDE, crop_transform, from_crop, gray_crop

__all__ = ["FORMAT", "VERSION", "default_model_dir", "FcnLandmarker", "fcn_landmarker"]

FORMAT = "facenorm-landmark-fcn"
VERSION = 1


def default_model_dir() -> str:
    from ...models import model_dir
    return model_dir("landmark_fcn", "facenorm train-landmarks")


class FcnLandmarker:
    """68 landmarks from the cascaded FCN. top_k / weighted: the decoding (the paper's mean of the
    25 largest responses by default); threads: torch threads while predicting (None: leave as is)."""

    def __init__(self, model_dir=None, top_k=None, weighted=None, threads=None):
        import torch

        from ... import nets

        self.model_dir = os.fspath(model_dir or default_model_dir())
        s = read_model_folder(self.model_dir, FORMAT, VERSION, "facenorm train-landmarks", "docs/palsy.md")
        weights = os.path.join(self.model_dir, "fcn.pt")
        if "fcn.pt" not in s.get("sha256", {}):
            raise ModelError(f"{self.model_dir}/model.json: lists no checksum for fcn.pt")
        self.settings = s
        self.net = nets.CascadedFcn(int(s.get("points", 68)), int(s["width_divisor"]))
        self.net.load(weights)
        self.net.eval()
        self.top_k = int(top_k if top_k is not None else s.get("top_k", 25))
        self.weighted = bool(weighted if weighted is not None else s.get("weighted", False))
        self.scale = float(s.get("crop_scale", SCALE))
        self.shift_down = float(s.get("crop_shift_down", SHIFT_DOWN))
        self.threads = threads
        self._torch = torch

    def __repr__(self) -> str:
        return f"FcnLandmarker({self.model_dir!r}, top_k={self.top_k}, weighted={self.weighted})"

    def predict_crops(self, crops: np.ndarray, batch: int = 64) -> np.ndarray:
        """uint8 (N, 96, 96) crops -> float32 (N, 68, 2) points in crop pixels."""
        from ... import nets
        from ...nets import torch_threads

        torch = self._torch
        crops = np.asarray(crops)
        if crops.dtype != np.uint8 or crops.ndim != 3 or crops.shape[1:] != (SIDE, SIDE):
            raise InputError(f"crops: expected uint8 (N, {SIDE}, {SIDE}), got {crops.dtype} {crops.shape}")
        out = []
        with torch_threads(self.threads), torch.no_grad():
            for start in range(0, len(crops), batch):
                x = torch.from_numpy(crops[start:start + batch]).unsqueeze(1).float().div_(255.0)
                _, h2 = self.net(x)
                out.append(nets.heatmap_landmarks(h2, self.top_k, self.weighted).numpy())
        return np.concatenate(out) if out else np.zeros((0, 68, 2), np.float32)

    def predict(self, image: np.ndarray, box) -> np.ndarray:
        """float32 (68, 2) image pixels for the face in `box` (a FaceBox or (x0, y0, x1, y1))."""
        t = crop_transform(box, self.scale, self.shift_down)
        points = self.predict_crops(gray_crop(image, t)[None])[0]
        return from_crop(points, t)


def _option(name: str, value, convert):
    if value is None:
        return None
    try:
        return convert(value)
    except ValueError:
        raise InputError(f"landmarker 'fcn': option {name}: expected {convert.__name__}, got '{value}'") from None


def _flag(value) -> bool:
    if str(value).lower() not in ("0", "1", "true", "false", "yes", "no"):
        raise ValueError(value)
    return str(value).lower() in ("1", "true", "yes")


_flag.__name__ = "0 or 1"


def fcn_landmarker(model=None, top_k=None, weighted=None, threads=None) -> FcnLandmarker:
    """The registry's `fcn[:model=DIR,top_k=N,weighted=0|1,threads=N]` (options as strings)."""
    return FcnLandmarker(model, _option("top_k", top_k, int), _option("weighted", weighted, _flag),
                         _option("threads", threads, int))
