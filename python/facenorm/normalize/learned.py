"""`learned`: the ICMI 2024 two-stage normalization with networks trained here on normal faces
(`facenorm train-normalizer`): the face, aligned with the FFHQ template at the model's size, is
compressed and decoded by the stage-1 autoencoder at 128 px, upsampled, and restored to full
detail by stage 2 from that reconstruction and the original's coarse structure; the result is
pasted back into the photo through a feathered face mask (as `torchscript`).

    --normalizer learned:model=MODEL_DIR                 # both stages
    --normalizer learned:model=MODEL_DIR,restoration=off # the paper's "no restoration" ablation
"""
import os

import numpy as np

from .._core import InputError
from ..models import read_model_folder
from .base import number_option
from .learned_training import AE_SIDE, FORMAT, VERSION
from .torchscript_chain import TorchScriptNormalizer

__all__ = ["DEFAULT_MODEL_DIR", "default_model_dir", "load_learned_model", "LearnedNormalizer"]

DEFAULT_MODEL_DIR = "learned_normalizer"


def default_model_dir() -> str:
    from ..models import model_dir
    return model_dir(DEFAULT_MODEL_DIR, "facenorm train-normalizer")


def load_learned_model(folder) -> tuple:
    """(settings dict, autoencoder, restoration), weights verified against model.json's sha256."""
    from .. import nets

    folder = os.fspath(folder)
    settings = read_model_folder(folder, FORMAT, VERSION, "facenorm train-normalizer", "docs/normalization.md")
    ae = nets.FaceAutoencoder(int(settings["channels"]), int(settings["bottleneck"]))
    ae.load(os.path.join(folder, "autoencoder.pt"))
    restoration = nets.FaceRestoration(int(settings["restoration_channels"]))
    restoration.load(os.path.join(folder, "restoration.pt"))
    ae.eval()
    restoration.eval()
    return settings, ae, restoration


class LearnedNormalizer(TorchScriptNormalizer):
    name = "learned"

    def __init__(self, model=None, restoration="on", blend="face", feather="auto", threads=None):
        if restoration not in ("on", "off"):
            raise InputError(f"learned: option restoration: expected on or off, got '{restoration}'")
        self.model_path, self.restoration = model, restoration
        # Debian's torch starts with one thread; the networks use every core unless told otherwise
        self.threads = number_option("learned", "threads", threads, 1, 256, int) if threads not in (None, "") \
            else (os.cpu_count() or 1)
        self._threads_given = threads not in (None, "")
        folder = model or default_model_dir()
        self.settings, self.autoencoder, self.restorer = load_learned_model(folder)
        self.folder = folder
        # TorchScriptNormalizer does the alignment and paste-back; its module list is unused here.
        super().__init__(models=os.path.join(folder, "model.json"), size=int(self.settings["size"]), blend=blend,
                         feather=feather)

    def options(self) -> dict:
        opts = {"model": self.model_path} if self.model_path else {}
        if self.restoration != "on":
            opts["restoration"] = self.restoration
        if self.blend != "face":
            opts["blend"] = self.blend
        if self.feather is not None:
            opts["feather"] = self.feather
        if self._threads_given:
            opts["threads"] = self.threads
        return opts

    def run_chain(self, aligned: np.ndarray) -> np.ndarray:
        """uint8 (S, S, 3) aligned face -> float32 (S, S, 3) in [0, 1], on `threads` threads."""
        import torch

        from ..nets import torch_threads

        x = torch.from_numpy(np.ascontiguousarray(aligned)).permute(2, 0, 1)[None].float().div(255.0)
        with torch_threads(self.threads):
            return self._networks(x, x.shape[2])

    def _networks(self, x, size) -> np.ndarray:
        import torch
        import torch.nn.functional as F
        from .. import nets

        with torch.no_grad():
            small = F.interpolate(x, size=(AE_SIDE, AE_SIDE), mode="area")
            degraded = F.interpolate(self.autoencoder(small), size=(size, size), mode="bilinear", align_corners=False)
            out = degraded if self.restoration == "off" else self.restorer(
                degraded, nets.coarse_structure(x, int(self.settings["structure_factor"])))
        return np.ascontiguousarray(out[0].permute(1, 2, 0).numpy(), dtype=np.float32)

    def _normalize(self, image, landmarks):
        result = super()._normalize(image, landmarks)
        info = {k: v for k, v in result.info.items() if k != "models"}
        result.info = {**info, "model": self.folder, "restoration": self.restoration}
        return result
