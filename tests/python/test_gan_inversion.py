"""GAN inversion + adaptation (PLOS ONE Algorithms 1 and 2) on a tiny generator built here: the
inversion loss falls, adaptation brings the output closer to the face, runs are reproducible,
the generator's weights come back unchanged, and the normalizer runs end to end."""
from typing import List

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import facenorm as fn  # noqa: E402
from facenorm.normalize import get_normalizer  # noqa: E402
from facenorm.normalize.gan_inversion import (GanInversion, InversionSettings, PerceptualDistance,  # noqa: E402
                                              converged, noise_regularizer)


class TinyGenerator(torch.nn.Module):
    """StyleGAN-shaped: a mapping MLP, a learned 4 x 4 constant, four upsampling convs modulated by
    w with a noise map each, tanh RGB at 64 x 64."""
    z_dim: int

    def __init__(self):
        super().__init__()
        self.z_dim = 8
        self.map = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.LeakyReLU(0.2), torch.nn.Linear(16, 16))
        self.const = torch.nn.Parameter(torch.randn(1, 8, 4, 4))
        self.styles = torch.nn.ModuleList([torch.nn.Linear(16, 8) for _ in range(4)])
        self.convs = torch.nn.ModuleList([torch.nn.Conv2d(8, 8, 3, padding=1) for _ in range(4)])
        self.to_rgb = torch.nn.Conv2d(8, 3, 1)

    @torch.jit.export
    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        return self.map(z)

    @torch.jit.export
    def noise_shapes(self) -> List[List[int]]:
        return [[1, 1, 8, 8], [1, 1, 16, 16], [1, 1, 32, 32], [1, 1, 64, 64]]

    @torch.jit.export
    def synthesis(self, w: torch.Tensor, noises: List[torch.Tensor]) -> torch.Tensor:
        x = self.const.expand(w.shape[0], -1, -1, -1)
        i = 0
        for style, conv in zip(self.styles, self.convs):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = F.leaky_relu(conv(x * (1 + style(w)[:, :, None, None])) + 0.1 * noises[i], 0.2)
            i += 1
        return torch.tanh(self.to_rgb(x))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.synthesis(self.mapping(z), [torch.zeros(s) for s in self.noise_shapes()])


class SquaredErrorMap(torch.nn.Module):
    """A stand-in for an exported LPIPS: the per-pixel squared difference, (N, 1, H, W)."""

    def forward(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        return (x0 - x1).pow(2).mean(dim=1, keepdim=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gan")
    torch.manual_seed(3)
    torch.jit.script(TinyGenerator()).save(str(folder / "g.pt"))
    torch.jit.script(SquaredErrorMap()).save(str(folder / "lpips.pt"))
    return folder


def engine(files, **settings):
    g = torch.jit.load(str(files / "g.pt"))
    return GanInversion(g, PerceptualDistance(str(files / "lpips.pt")), InversionSettings(mean_samples=500, **settings))


def reachable_target(files):
    g = torch.jit.load(str(files / "g.pt"))
    with torch.no_grad():
        w = g.mapping(torch.randn(1, 8, generator=torch.Generator().manual_seed(11)))
        return g.synthesis(w, [torch.randn(s, generator=torch.Generator().manual_seed(12)) for s in g.noise_shapes()])


def test_inversion_loss_falls_and_adaptation_gets_closer(files):
    target = reachable_target(files)
    e = engine(files, steps=150, adapt_steps=30, adapt_lr=3e-3, patience=1000)
    before = {k: v.clone() for k, v in e.generator.state_dict().items()}
    r = e.run(target)
    assert r.inversion_losses[-1] < 0.5 * r.inversion_losses[0]
    assert r.adaptation_losses[-1] < r.adaptation_losses[0]
    assert F.mse_loss(r.image, target) < F.mse_loss(r.inverted, target)  # adaptation adds detail
    assert r.seconds_inversion > 0 and r.seconds_adaptation > 0
    for k, v in e.generator.state_dict().items():  # every face starts from the same generator
        assert torch.equal(v, before[k]), k


def test_reproducible_with_a_seed_and_records_the_curve(files):
    target = reachable_target(files)
    a = engine(files, steps=40, adapt_steps=6, record_every=2, seed=5).run(target)
    b = engine(files, steps=40, adapt_steps=6, record_every=2, seed=5).run(target)
    assert torch.equal(a.image, b.image) and a.inversion_losses == b.inversion_losses
    assert [k for k, _ in a.snapshots] == [2, 4, 6]
    c = engine(files, steps=40, adapt_steps=6, seed=6).run(target)
    assert not torch.equal(a.inverted, c.inverted)


def test_noise_regularizer_and_convergence():
    white = [torch.randn(1, 1, 64, 64, generator=torch.Generator().manual_seed(0))]
    smooth = [F.interpolate(torch.randn(1, 1, 8, 8), size=(64, 64), mode="bilinear", align_corners=False)]
    smooth = [(smooth[0] - smooth[0].mean()) / smooth[0].std()]
    assert noise_regularizer(smooth) > 100 * noise_regularizer(white)  # detail leaking into noise is penalised
    assert converged([1.0] * 5 + [0.99999] * 5, patience=5, tolerance=1e-4)
    assert not converged([1.0, 0.5, 0.25, 0.1, 0.05, 0.01], patience=3, tolerance=1e-4)


def test_gan_normalizer_end_to_end(files, celeba_images, pipeline):
    image = fn.read_image(celeba_images[0])
    landmarks = pipeline.faces(image)[0].landmarks
    spec = f"gan:generator={files / 'g.pt'},lpips={files / 'lpips.pt'},steps=20,adapt=3,mean_samples=200"
    n = get_normalizer(spec)
    assert n.size == 64  # the generator's resolution
    r = n.normalize(image, landmarks)
    assert r.image.shape == image.shape and r.info["inversion_steps"] == 20 and r.info["adaptation_steps"] == 3
    assert r.info["seconds_inversion"] > 0 and r.info["generator"] == str(files / "g.pt")
    far = np.zeros(image.shape[:2], bool)
    far[:20, :20] = True
    assert np.array_equal(r.image[far], image[far])  # only the face is replaced
    assert np.array_equal(get_normalizer(repr(n)).normalize(image, landmarks).image, r.image)


def test_gan_normalizer_refuses_bad_files(files, tmp_path):
    with pytest.raises(fn.InputError, match="generator=PATH"):
        get_normalizer("gan")
    with pytest.raises(fn.MissingFileError):
        get_normalizer(f"gan:generator={tmp_path / 'absent.pt'}")
    torch.jit.script(SquaredErrorMap()).save(str(tmp_path / "not_a_generator.pt"))
    with pytest.raises(fn.ModelError, match="noise_shapes"):
        get_normalizer(f"gan:generator={tmp_path / 'not_a_generator.pt'}")
    with pytest.raises(fn.InputError, match="steps"):
        get_normalizer(f"gan:generator={files / 'g.pt'},steps=0")


def test_default_perceptual_distance_is_differentiable():
    """Without LPIPS the loss is the deep-feature distance of dlib's ResNet-34 (scoring issue)."""
    from facenorm import models
    try:
        models.resolve("resnet34_1000_imagenet_classifier")
    except fn.ModelError as e:
        pytest.skip(str(e))
    d = PerceptualDistance()
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    y = (x + 0.3 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1))).clamp(-1, 1)
    x.requires_grad_(True)
    loss = d(x, y)
    loss.backward()
    assert float(loss) > 0 and float(d(y, y)) < 1e-6
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_a_generator_already_run_with_gradients_still_inverts(files):
    """TorchScript's profiling executor can hand back tensors that require gradients even under
    no_grad once a graph ran with them: the engine must still get a leaf latent to optimize."""
    e = engine(files, steps=3, adapt_steps=1)
    for _ in range(3):
        e.generator.mapping(torch.randn(2, 8)).sum()
    assert len(e.run(reachable_target(files)).inversion_losses) == 3
