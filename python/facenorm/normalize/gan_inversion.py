"""GAN inversion + generator adaptation (PLOS ONE 2023, section 1.2, Algorithms 1 and 2) for a
user-supplied TorchScript generator.

Generator convention (a TorchScript module, e.g. a wrapped StyleGAN2; `torch.jit.script` it with
these methods marked `@torch.jit.export`):
  * attribute `z_dim: int`;
  * `mapping(z) -> w`: float32 (N, z_dim) -> (N, w_dim) or (N, num_ws, w_dim);
  * `noise_shapes() -> List[List[int]]`: the shape of each per-layer noise map, e.g.
    [[1, 1, 4, 4], [1, 1, 8, 8], ...] (StyleGAN2-FFHQ: 17 maps, 4 x 4 to 1024 x 1024);
  * `synthesis(w, noises: List[Tensor]) -> image`: float32 (1, 3, R, R) RGB in [-1, 1].

Algorithm 1 (inversion): the mean latent of `mean_samples` mapped samples (10,000) starts the
search; w and the noise maps are optimized with Adam against the perceptual distance to the face,
plus alpha (1e5) x the multi-scale noise autocorrelation regularizer (each map and its 2x
down-sampled versions down to 8 x 8: squared mean products with the map shifted by one pixel in x
and in y), the noise maps renormalized to zero mean and unit variance after each step, as the
StyleGAN2 projector does; until the loss stops falling (relative change under `tolerance` over
`patience` steps) or `steps` (2,000). Algorithm 2 (adaptation): w and the noises frozen, the
generator's own weights are fine-tuned against perceptual + L2 for `adapt_steps` (50) iterations;
the paper warns that more iterations bring the anomaly back, so `record_every` keeps the output
along the way to show that curve. The generator's weights are restored afterwards: every image
starts from the same generator.

Perceptual distance: LPIPS from a TorchScript file (`lpips=PATH`, see facenorm.score.lpips_torchscript)
when given, else the deep-feature distance of dlib's ResNet-34 (facenorm.score.deep_features).
Everything is seeded (`seed`): the same face, generator and settings give the same output.
"""
import math
import sys
import time
from dataclasses import dataclass, field
from typing import List, Optional

import torch
import torch.nn.functional as F

from .._core import InputError, ModelError

__all__ = ["InversionSettings", "InversionResult", "noise_regularizer", "PerceptualDistance", "GanInversion",
           "converged"]


@dataclass
class InversionSettings:
    steps: int = 2000            # Algorithm 1 step budget
    lr: float = 0.1              # Adam, with the StyleGAN2 projector's ramp-down
    noise_alpha: float = 1e5     # weight of the noise regularizer
    mean_samples: int = 10000    # mapped samples for the mean latent
    tolerance: float = 1e-4      # convergence: relative loss change over `patience` steps
    patience: int = 100
    adapt_steps: int = 50        # Algorithm 2 iterations (the paper's choice)
    adapt_lr: float = 1e-3
    record_every: int = 0        # keep the adapted output every k iterations (0: only the end)
    seed: int = 0


@dataclass
class InversionResult:
    image: torch.Tensor                  # (1, 3, R, R) in [-1, 1]: the adapted generator's output
    inverted: torch.Tensor               # (1, 3, R, R): the output before adaptation
    w: torch.Tensor
    inversion_losses: List[float]
    adaptation_losses: List[float]
    snapshots: List[tuple] = field(default_factory=list)  # (iteration, image) every record_every
    seconds_inversion: float = 0.0
    seconds_adaptation: float = 0.0


def noise_regularizer(noises: List[torch.Tensor]) -> torch.Tensor:
    """Algorithm 1's L_ij summed: squared autocorrelation at a one-pixel shift in x and y of every
    noise map and of its 2x average-pooled versions down to 8 x 8."""
    total = noises[0].new_zeros(())
    for n in noises:
        while True:
            total = total + (n * torch.roll(n, 1, dims=3)).mean() ** 2 + (n * torch.roll(n, 1, dims=2)).mean() ** 2
            if n.shape[2] <= 8:
                break
            n = F.avg_pool2d(n, 2)
    return total


class PerceptualDistance:
    """Mean perceptual distance of two (N, 3, H, W) images in [-1, 1], differentiable."""

    def __init__(self, lpips_path: Optional[str] = None):
        self.lpips = None
        if lpips_path:
            from ..score.lpips_torchscript import TorchScriptLPIPS
            self.lpips = TorchScriptLPIPS(lpips_path)
            self.name = f"lpips:{lpips_path}"
        else:
            from ..score.deep_features import DeepFeatureDistance
            self.features = DeepFeatureDistance()
            self.name = "deep-features(dlib resnet34)"

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.lpips is not None:
            return self.lpips.distance_map(x, y).mean()
        return self.features.distance_map((x + 1) * 127.5, (y + 1) * 127.5).mean()


class GanInversion:
    """The engine: one generator, one perceptual distance, settings; `run(target)` per face."""

    def __init__(self, generator, perceptual: PerceptualDistance, settings: InversionSettings = None,
                 progress: bool = False):
        self.generator = generator
        self.perceptual = perceptual
        self.settings = settings or InversionSettings()
        self.progress = progress
        for name in ("mapping", "synthesis", "noise_shapes"):
            if not hasattr(generator, name):
                raise ModelError(f"generator: expected a method {name}() (see facenorm.normalize.gan_inversion)")
        if not hasattr(generator, "z_dim"):
            raise ModelError("generator: expected an attribute z_dim (the length of z)")
        self._mean = None

    def mean_latent(self) -> tuple:
        """(mean w, its scalar spread) over settings.mean_samples mapped z ~ N(0, I), seeded."""
        if self._mean is None:
            g = torch.Generator().manual_seed(self.settings.seed)
            ws = []
            with torch.no_grad():
                left = self.settings.mean_samples
                while left > 0:
                    n = min(left, 1000)
                    ws.append(self.generator.mapping(torch.randn(n, int(self.generator.z_dim), generator=g)))
                    left -= n
            # detach: a scripted generator run with gradients before may hand back tensors that
            # require them even under no_grad (TorchScript's profiling executor)
            w = torch.cat(ws).detach()
            mean = w.mean(0, keepdim=True)
            spread = float(((w - mean) ** 2).sum(dim=-1).mean().sqrt())
            self._mean = (mean, spread)
        return self._mean

    def synthesize(self, w, noises) -> torch.Tensor:
        out = self.generator.synthesis(w, noises)
        if not isinstance(out, torch.Tensor) or out.dim() != 4 or out.shape[:2] != (1, 3):
            raise ModelError(f"generator: synthesis returned {getattr(out, 'shape', type(out).__name__)}; "
                             "expected a (1, 3, R, R) image in [-1, 1]")
        return out

    def run(self, target: torch.Tensor) -> InversionResult:
        """target: (1, 3, R, R) in [-1, 1], the face aligned to the generator's resolution."""
        if target.dim() != 4 or target.shape[:2] != (1, 3):
            raise InputError(f"target: expected a (1, 3, R, R) tensor in [-1, 1], got {tuple(target.shape)}")
        torch.manual_seed(self.settings.seed)
        started = time.perf_counter()
        w, noises, losses = self.invert(target)
        middle = time.perf_counter()
        with torch.no_grad():
            inverted = self.synthesize(w, noises)
        image, adapt_losses, snapshots = self.adapt(target, w, noises)
        return InversionResult(image, inverted, w, losses, adapt_losses, snapshots, middle - started,
                               time.perf_counter() - middle)

    def invert(self, target) -> tuple:
        """Algorithm 1: (w, noise maps, loss per step)."""
        s = self.settings
        mean, spread = self.mean_latent()
        w = mean.detach().clone().requires_grad_(True)
        g = torch.Generator().manual_seed(s.seed)
        noises = [torch.randn([int(v) for v in shape], generator=g).requires_grad_(True)
                  for shape in self.generator.noise_shapes()]
        if self.synthesize(mean, noises).shape[2:] != target.shape[2:]:
            raise InputError(f"target: expected the generator's resolution, got {tuple(target.shape[2:])}")
        optimizer = torch.optim.Adam([w] + noises, lr=s.lr, betas=(0.9, 0.999))
        losses = []
        for step in self._steps(s.steps, "invert"):
            t = step / max(s.steps, 1)
            # the StyleGAN2 projector's schedule: lr ramps down (cosine) over the last quarter and
            # up over the first 5%; w is jittered early (noise ramp) to escape the mean latent
            for group in optimizer.param_groups:
                group["lr"] = s.lr * min(1.0, (1 - t) / 0.25) ** 2 * min(1.0, t / 0.05 + 1e-3)
            jitter = torch.randn(w.shape, generator=g) * spread * 0.05 * max(0.0, 1 - t / 0.75) ** 2
            image = self.synthesize(w + jitter, noises)
            loss = self.perceptual(image, target) + s.noise_alpha * noise_regularizer(noises)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():  # noise maps stay noise: zero mean, unit variance
                for n in noises:
                    n -= n.mean()
                    n /= n.square().mean().sqrt()
            losses.append(float(loss))
            if converged(losses, s.patience, s.tolerance):
                break
        return w.detach(), [n.detach() for n in noises], losses

    def adapt(self, target, w, noises) -> tuple:
        """Algorithm 2: fine-tune the generator's weights (w, noises frozen); weights restored after."""
        s = self.settings
        params = [p for p in self.generator.parameters() if p.dtype.is_floating_point]
        saved = [p.detach().clone() for p in params]
        flags = [p.requires_grad for p in params]
        losses, snapshots = [], []
        try:
            for p in params:
                p.requires_grad_(True)
            optimizer = torch.optim.Adam(params, lr=s.adapt_lr)
            image = None
            for step in self._steps(s.adapt_steps, "adapt"):
                image = self.synthesize(w, noises)
                loss = self.perceptual(image, target) + F.mse_loss(image, target)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(float(loss))
                if s.record_every and (step + 1) % s.record_every == 0:
                    with torch.no_grad():
                        snapshots.append((step + 1, self.synthesize(w, noises).clone()))
            with torch.no_grad():
                image = self.synthesize(w, noises).clone()
        finally:
            with torch.no_grad():
                for p, old, flag in zip(params, saved, flags):
                    p.copy_(old)
                    p.requires_grad_(flag)
        return image, losses, snapshots

    def _steps(self, n: int, what: str):
        from tqdm import tqdm
        return tqdm(range(n), desc=f"gan {what}", unit="step", file=sys.stderr, disable=not self.progress,
                    leave=False)


def converged(losses: List[float], patience: int, tolerance: float) -> bool:
    """The loss fell by less than `tolerance` (relative) over the last `patience` steps."""
    if len(losses) <= patience:
        return False
    before, now = losses[-patience - 1], losses[-1]
    return math.isfinite(before) and (before - now) < tolerance * abs(before)
