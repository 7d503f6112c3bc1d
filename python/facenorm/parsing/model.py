"""A trained parsing model: `FaceParser(folder).parse(image)` -> class ids at the image's size."""
import os

import cv2
import numpy as np

from .._core import InputError
from ..models import read_model_folder
from .labels import CLASSES
from .training import FORMAT, VERSION

__all__ = ["default_model_dir", "FaceParser"]



def default_model_dir() -> str:
    from ..models import model_dir
    return model_dir("palsy_parsing", "facenorm train-parsing")


class FaceParser:
    def __init__(self, model_dir=None, threads=None):
        import torch

        from .. import nets

        self.model_dir = os.path.normpath(os.fspath(model_dir or default_model_dir()))
        s = read_model_folder(self.model_dir, FORMAT, VERSION, "facenorm train-parsing", "docs/palsy.md")
        if s.get("classes") != list(CLASSES):
            raise InputError(f"{self.model_dir}: classes {s.get('classes')}, expected {list(CLASSES)}")
        self.side = int(s["side"])
        self.net = nets.PalsyParsingNet(len(CLASSES), int(s["channels"]), int(s["attention_dim"]))
        self.net.load(os.path.join(self.model_dir, "parsing.pt"))
        self.net.eval()
        self.threads = threads
        self._torch = torch

    def parse_batch(self, images: np.ndarray) -> np.ndarray:
        """uint8 (N, side, side, 3) -> uint8 (N, side, side) class ids."""
        from ..nets import torch_threads

        torch = self._torch
        out = []
        with torch_threads(self.threads), torch.no_grad():
            for start in range(0, len(images), 8):
                x = torch.from_numpy(np.ascontiguousarray(images[start:start + 8])).permute(0, 3, 1, 2).float() / 255
                logits, _, _ = self.net(x)
                out.append(logits.argmax(1).to(torch.uint8).numpy())
        return np.concatenate(out)

    def parse(self, image: np.ndarray) -> np.ndarray:
        """RGB uint8 (H, W, 3) face photo (a face filling it, as CelebAMask-HQ's) -> uint8 (H, W)."""
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise InputError(f"image: expected RGB uint8 (H, W, 3), got {image.dtype} {image.shape}")
        small = cv2.resize(image, (self.side, self.side), interpolation=cv2.INTER_AREA)
        labels = self.parse_batch(small[None])[0]
        return cv2.resize(labels, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_NEAREST)
