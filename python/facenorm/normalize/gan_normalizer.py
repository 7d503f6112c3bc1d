"""`gan`: normalization by GAN inversion + generator adaptation (PLOS ONE 2023), with your
TorchScript generator (convention in facenorm.normalize.gan_inversion).

    --normalizer gan:generator=stylegan2_ffhq.pt,lpips=lpips_vgg_spatial.pt,steps=2000,adapt=50

The face is aligned to the generator's resolution with the FFHQ template (as `torchscript` does),
inverted (Algorithm 1), the generator adapted to it (Algorithm 2), and the generated face pasted
back into the photo through a feathered face mask. `info` reports the loss curves' ends, the
steps run and the seconds per image of each stage.
"""
import threading

import numpy as np
import torch

from .._core import InputError, ModelError
from .base import number_option
from .gan_inversion import GanInversion, InversionSettings, PerceptualDistance
from .torchscript_chain import TorchScriptNormalizer, load_module

__all__ = ["GanNormalizer"]


class GanNormalizer(TorchScriptNormalizer):
    name = "gan"

    def __init__(self, generator=None, lpips=None, steps="2000", adapt="50", lr="0.1", adapt_lr="0.001",
                 mean_samples="10000", seed="0", size=None, blend="face", feather="auto"):
        if not generator:
            raise InputError("gan: option generator: expected generator=PATH, a TorchScript generator "
                             "(convention in facenorm.normalize.gan_inversion)")
        self.generator_path, self.lpips_path = generator, lpips
        module = load_module(generator)  # MissingFileError / ModelError name the file
        if not hasattr(module, "noise_shapes"):
            raise ModelError(f"{generator}: expected a generator with mapping(), synthesis() and noise_shapes()")
        resolution = max(int(s[-1]) for s in module.noise_shapes())  # the largest noise map = the output
        super().__init__(models=generator, size=size if size not in (None, "") else resolution, blend=blend,
                         feather=feather)
        self.settings = InversionSettings(
            steps=number_option("gan", "steps", steps, 1, 100000, int),
            adapt_steps=number_option("gan", "adapt", adapt, 0, 100000, int),
            lr=number_option("gan", "lr", lr, 1e-6, 10), adapt_lr=number_option("gan", "adapt_lr", adapt_lr, 1e-8, 1),
            mean_samples=number_option("gan", "mean_samples", mean_samples, 1, 1000000, int),
            seed=number_option("gan", "seed", seed, 0, 2 ** 31 - 1, int))
        self.engine = GanInversion(module, PerceptualDistance(lpips), self.settings)
        self._last = {}
        self._run_lock = threading.Lock()

    def options(self) -> dict:
        opts = {"generator": self.generator_path}
        if self.lpips_path:
            opts["lpips"] = self.lpips_path
        s, d = self.settings, InversionSettings()
        for key, field_name in (("steps", "steps"), ("adapt", "adapt_steps"), ("lr", "lr"), ("adapt_lr", "adapt_lr"),
                                ("mean_samples", "mean_samples"), ("seed", "seed")):
            if getattr(s, field_name) != getattr(d, field_name):
                opts[key] = getattr(s, field_name)
        return opts

    def run_chain(self, aligned: np.ndarray) -> np.ndarray:
        """uint8 (R, R, 3) aligned face -> float32 (R, R, 3) in [0, 1]: the adapted generator's face."""
        target = torch.from_numpy(np.ascontiguousarray(aligned)).permute(2, 0, 1)[None].float() / 127.5 - 1
        result = self.engine.run(target)
        self._last = {"perceptual": self.engine.perceptual.name,
                      "inversion_steps": len(result.inversion_losses),
                      "inversion_loss": [round(result.inversion_losses[0], 6), round(result.inversion_losses[-1], 6)],
                      "adaptation_steps": len(result.adaptation_losses),
                      "adaptation_loss": ([round(result.adaptation_losses[0], 6), round(result.adaptation_losses[-1], 6)]
                                          if result.adaptation_losses else []),
                      "seconds_inversion": round(result.seconds_inversion, 3),
                      "seconds_adaptation": round(result.seconds_adaptation, 3)}
        image = ((result.image[0].detach().clamp(-1, 1) + 1) / 2).permute(1, 2, 0)
        return np.ascontiguousarray(image.numpy(), dtype=np.float32)

    def _normalize(self, image, landmarks):
        with self._run_lock:  # the adaptation edits the generator's weights (restored after)
            result = super()._normalize(image, landmarks)
            result.info = {**result.info, **self._last}
            result.info.pop("models", None)
            result.info["generator"] = self.generator_path
            return result
