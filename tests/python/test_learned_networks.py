"""The learned normalization networks (ICMI 2024 section 3.2 with networks trained here): shapes,
gradients, seeded training that lowers the loss, checkpoints, and clear errors."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import facenorm as fn  # noqa: E402
from facenorm.nets import _nets  # noqa: E402


def smooth_faces(n: int, seed: int = 0) -> torch.Tensor:
    """Learnable stand-ins for aligned faces: smooth random colour fields, (n, 3, 128, 128) in [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, 4, 4, generator=g)
    return torch.nn.functional.interpolate(coarse, size=(128, 128), mode="bilinear", align_corners=False)


def test_shapes_and_gradients():
    torch.manual_seed(0)
    ae = _nets.FaceAutoencoder(8, 16)
    x = torch.rand(2, 3, 128, 128)
    y = ae(x)
    assert y.shape == x.shape and 0 <= float(y.min()) and float(y.max()) <= 1
    assert ae.encode(x).shape == (2, 16)
    y.mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in ae.parameters())
    r = _nets.FaceRestoration(8)
    d = torch.rand(2, 3, 64, 64)
    s = _nets.coarse_structure(d, 8)
    out = r(d, s)
    assert out.shape == d.shape and 0 <= float(out.min()) and float(out.max()) <= 1
    out.mean().backward()
    assert all(p.grad is not None for p in r.parameters())
    # the coarse structure keeps the layout and drops the detail: a flat colour stays itself,
    # pixel noise is averaged away
    flat = torch.full((1, 3, 64, 64), 0.3)
    assert torch.allclose(_nets.coarse_structure(flat, 8), flat, atol=1e-6)
    assert float(s.std()) < 0.1 < float(d.std())


def test_training_lowers_the_loss_and_is_reproducible():
    faces = smooth_faces(24)

    def train(seed):
        torch.manual_seed(seed)
        ae = _nets.FaceAutoencoder(8, 16)
        trainer = _nets.AutoencoderTrainer(ae, 3e-3)
        seen = []
        losses = [trainer.epoch(faces, 8, epoch, lambda done, loss: seen.append(done)) for epoch in range(20)]
        return ae, losses, seen

    ae, losses, seen = train(1)
    assert losses[-1] < 0.85 * losses[0]  # 0.181 -> 0.145 in 20 epochs of 3 steps
    assert seen[:3] == [8, 16, 24]  # progress after every batch
    again, losses_again, _ = train(1)
    assert losses == losses_again
    ae.eval(), again.eval()
    assert torch.equal(ae(faces[:2]), again(faces[:2]))


def test_restoration_training_lowers_the_loss():
    torch.manual_seed(0)
    targets = smooth_faces(8, seed=3)[:, :, :64, :64].contiguous()
    degraded = torch.nn.functional.avg_pool2d(targets, 4).repeat_interleave(4, 2).repeat_interleave(4, 3)
    structure = _nets.coarse_structure(targets, 8)
    r = _nets.FaceRestoration(8)
    trainer = _nets.RestorationTrainer(r, 2e-3)
    losses = [trainer.epoch(degraded, structure, targets, 4, e) for e in range(8)]
    assert losses[-1] < losses[0]


def test_checkpoints_round_trip_and_refuse_other_networks(tmp_path):
    torch.manual_seed(0)
    ae = _nets.FaceAutoencoder(8, 16)
    trainer = _nets.AutoencoderTrainer(ae, 1e-3)
    trainer.epoch(smooth_faces(4), 4, 0)
    ae.save(str(tmp_path / "ae.pt"))
    trainer.save_state(str(tmp_path / "adam.pt"))
    other = _nets.FaceAutoencoder(8, 16)
    other.load(str(tmp_path / "ae.pt"))
    ae.eval(), other.eval()
    x = smooth_faces(1, seed=9)
    assert torch.equal(ae(x), other(x))
    _nets.AutoencoderTrainer(other, 1e-3).load_state(str(tmp_path / "adam.pt"))
    wider = _nets.FaceAutoencoder(16, 16)
    wider.eval()
    before = wider(x)
    with pytest.raises(fn.ModelError, match="another size"):
        wider.load(str(tmp_path / "ae.pt"))
    assert torch.equal(wider(x), before)  # left unchanged
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(fn.ModelError, match="junk.pt"):
        other.load(str(tmp_path / "junk.pt"))


def test_bad_inputs_are_refused_clearly():
    ae = _nets.FaceAutoencoder(8, 16)
    with pytest.raises(fn.InputError, match="128 x 128"):
        ae(torch.rand(1, 3, 64, 64))
    with pytest.raises(fn.InputError, match="float32"):
        ae(torch.rand(1, 3, 128, 128, dtype=torch.float64))
    with pytest.raises(fn.InputError, match="multiples of 8"):
        _nets.FaceRestoration(8)(torch.rand(1, 3, 30, 30), torch.rand(1, 3, 30, 30))
    with pytest.raises(fn.InputError, match="same shape"):
        _nets.FaceRestoration(8)(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 64, 64))
    with pytest.raises(fn.InputError, match="channels"):
        _nets.FaceAutoencoder(0, 16)
