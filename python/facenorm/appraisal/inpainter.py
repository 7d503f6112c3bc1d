"""The inpainting network of `map-inpaint` (method=network): facenorm.nets.FaceInpainter, trained
here on normal faces of every age (`facenorm train-inpainter`), fills holes in a fixed lower-face
window of the canonical crop; hole pixels outside the window (rare: the nose bridge, the chin's
edge) are filled by Telea. Pixels outside the hole come back unchanged.

A folder: model.json (format, settings, data, losses, sha256) and inpainter.pt.
"""
import os

import cv2
import numpy as np

from .. import models
from .._core import InputError

__all__ = ["FORMAT", "VERSION", "NAME", "WEIGHTS", "WINDOW", "window_of", "FaceInpainterModel", "default_inpainter"]

FORMAT = "facenorm-face-inpainter"
VERSION = 1
NAME = "face_inpainter"
WEIGHTS = "inpainter.pt"
COMMAND = "facenorm train-inpainter"
DOCS = "docs/appraisal.md"
# Rows 60-204 and columns 48-176 of the canonical crop: nostrils to chin, cheek to cheek; holes
# of `map-inpaint` (in the mouth-and-nose region) fall inside it for 98% of faces.
WINDOW = (slice(60, 204), slice(48, 176))
TELEA_RADIUS_PX = 5


def window_of(crops: np.ndarray) -> np.ndarray:
    return crops[(Ellipsis,) + WINDOW + ((slice(None),) if crops.shape[-1] == 3 else ())]


class FaceInpainterModel:
    def __init__(self, net, settings: dict, folder=None):
        self.net, self.settings, self.folder = net, settings, folder

    @classmethod
    def load(cls, folder=None) -> "FaceInpainterModel":
        from .. import nets

        folder = os.fspath(folder) if folder is not None else models.model_dir(NAME)
        settings = models.read_model_folder(folder, FORMAT, VERSION, COMMAND, DOCS)
        net = nets.FaceInpainter(int(settings["channels"]))
        net.load(os.path.join(folder, WEIGHTS))
        net.eval()
        return cls(net, settings, folder)

    def fill(self, crop: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """uint8 RGB canonical crop (224, 224, 3), hole uint8 (224, 224) nonzero = fill -> the
        filled crop; pixels where hole is 0 are returned bit-identical."""
        import torch

        if crop.dtype != np.uint8 or crop.shape != (224, 224, 3) or hole.shape != (224, 224):
            raise InputError(f"inpainter: expected a uint8 (224, 224, 3) crop and a (224, 224) hole, "
                             f"got {crop.dtype} {crop.shape} and {hole.shape}")
        out = crop.copy()
        inside = np.zeros(hole.shape, bool)
        inside[WINDOW] = True
        in_window = (hole > 0) & inside
        if in_window.any():
            window = np.ascontiguousarray(crop[WINDOW])
            mask = in_window[WINDOW].astype(np.float32)
            with torch.no_grad():
                x = torch.from_numpy(window).permute(2, 0, 1)[None].float().div_(255.0)
                m = torch.from_numpy(mask)[None, None]
                filled = self.net(x, m)[0].permute(1, 2, 0).mul_(255.0).add_(0.5).clamp_(0, 255).numpy().astype(np.uint8)
            region = out[WINDOW]
            region[mask > 0] = filled[mask > 0]
        outside = ((hole > 0) & ~inside).astype(np.uint8) * 255
        if outside.any():
            telea = cv2.inpaint(out, outside, TELEA_RADIUS_PX, cv2.INPAINT_TELEA)
            out[outside > 0] = telea[outside > 0]
        return out


_default = {}


def default_inpainter() -> FaceInpainterModel:
    if "model" not in _default:
        _default["model"] = FaceInpainterModel.load()
    return _default["model"]
