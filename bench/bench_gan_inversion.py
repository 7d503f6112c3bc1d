"""Seconds per image of the GAN inversion + adaptation engine (PLOS ONE Algorithms 1 and 2) for
StyleGAN-shaped generators of growing size, on the CPU; the per-step cost beside a plain forward
pass of the same generator (the reference: what the optimisation adds on top of synthesis).

No real StyleGAN2 can be had here; the generators are random, built by this script, with
`channels` features at every resolution up to `resolution` (StyleGAN2-FFHQ: 512 channels up to
64 px, then 256 ... 32 at 1024 px, 17 noise maps). Loss: LPIPS-like squared-error map, so the
figure is the generator's own cost.

    PYTHONPATH=python /usr/bin/python3 bench/bench_gan_inversion.py
"""
import sys
import time
from pathlib import Path
from typing import List

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

from facenorm.normalize.gan_inversion import GanInversion, InversionSettings  # noqa: E402


class Generator(torch.nn.Module):
    z_dim: int

    def __init__(self, channels: int, resolution: int):
        super().__init__()
        self.z_dim = 64
        self.map = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.LeakyReLU(0.2))
                                         for _ in range(4)])
        self.const = torch.nn.Parameter(torch.randn(1, channels, 4, 4))
        self.levels = int(round(torch.log2(torch.tensor(resolution / 4.0)).item()))
        self.styles = torch.nn.ModuleList([torch.nn.Linear(64, channels) for _ in range(self.levels)])
        self.convs = torch.nn.ModuleList([torch.nn.Conv2d(channels, channels, 3, padding=1) for _ in range(self.levels)])
        self.to_rgb = torch.nn.Conv2d(channels, 3, 1)
        self.sizes = [4 * 2 ** (i + 1) for i in range(self.levels)]

    @torch.jit.export
    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        return self.map(z)

    @torch.jit.export
    def noise_shapes(self) -> List[List[int]]:
        return [[1, 1, s, s] for s in self.sizes]

    @torch.jit.export
    def synthesis(self, w: torch.Tensor, noises: List[torch.Tensor]) -> torch.Tensor:
        x = self.const.expand(w.shape[0], -1, -1, -1)
        i = 0
        for style, conv in zip(self.styles, self.convs):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = F.leaky_relu(conv(x * (1 + style(w)[:, :, None, None])) + 0.1 * noises[i], 0.2)
            i += 1
        return torch.tanh(self.to_rgb(x))


class SquaredError:
    name = "squared-error map"

    def __call__(self, x, y):
        return (x - y).pow(2).mean()


def main() -> None:
    steps, adapt = 100, 20
    print(f"torch threads: {torch.get_num_threads()}; {steps} inversion steps + {adapt} adaptation steps per image")
    print("| generator | forward (reference) | inversion, s/step | adaptation, s/step | s/image at 2,000 + 50 steps |")
    print("|---|---|---|---|---|")
    for channels, resolution in ((32, 64), (32, 256), (64, 256), (32, 512)):
        torch.manual_seed(0)
        g = torch.jit.script(Generator(channels, resolution))
        e = GanInversion(g, SquaredError(), InversionSettings(steps=steps, adapt_steps=adapt, mean_samples=1000,
                                                             patience=10 ** 6))
        target = torch.rand(1, 3, resolution, resolution) * 2 - 1
        noises = [torch.randn(s) for s in g.noise_shapes()]
        w = g.mapping(torch.randn(1, 64))
        with torch.no_grad():
            g.synthesis(w, noises)
            started = time.perf_counter()
            for _ in range(10):
                g.synthesis(w, noises)
            forward = (time.perf_counter() - started) / 10
        r = e.run(target)
        per_inv, per_adapt = r.seconds_inversion / steps, r.seconds_adaptation / adapt
        print(f"| {channels} ch, {resolution} px | {forward * 1000:.1f} ms | {per_inv:.3f} | {per_adapt:.3f} "
              f"| {2000 * per_inv + 50 * per_adapt:.0f} |")


if __name__ == "__main__":
    main()
