"""`facenorm train-normalizer`: train the learned normalization (ICMI 2024 section 3.2 with networks
of our own) on normal faces: stage 1, the face autoencoder at 128 px; stage 2, the restoration
network at `size` px on (stage 1's reconstruction upsampled, the original's coarse structure).
The networks and their Adam steps are C++ (facenorm._nets, libtorch); this module feeds them.

Checkpoints: after every epoch the model folder holds the weights, the optimizer states and
`training.json` (settings, epoch, loss curves), each written to a temporary file and renamed, so
a killed run restarted with the same arguments resumes from the last finished epoch; other
arguments on an existing folder raise DatasetError naming both. `model.json` (the settings the
normalizer needs, plus sha256 of the weight files) is written when training ends.
"""
import os
import sys
import time
from dataclasses import dataclass

import cv2
import numpy as np

from .. import _core
from ..checkpoints import Checkpoints

__all__ = ["AE_SIDE", "FORMAT", "VERSION", "TrainingSettings", "aligned_faces", "to_tensor", "resized",
           "degraded_inputs", "random_patches", "train_learned_normalizer"]

AE_SIDE = 128
FORMAT = "facenorm-learned-normalizer"
VERSION = 2  # 2: the restoration runs at half resolution (space-to-depth in, pixel shuffle out)


@dataclass
class TrainingSettings:
    size: int = 256               # side of the aligned face the restoration works at
    channels: int = 16            # stage 1 width
    bottleneck: int = 64          # stage 1 code length: the compression
    restoration_channels: int = 16
    structure_factor: int = 8     # the coarse structure: 1/8 resolution
    epochs_autoencoder: int = 15
    epochs_restoration: int = 10
    patch: int = 64               # stage 2 trains on random patches (it is convolutional): 1/16 the cost
    patches_per_face: int = 4
    batch_size: int = 16
    lr: float = 1e-3
    limit: int = 1000
    seed: int = 0
    dev_fraction: float = 0.05


def aligned_faces(paths, size: int, limit: int, progress: bool = True) -> np.ndarray:
    """uint8 (N, size, size, 3): the faces aligned with the FFHQ template used by every learned
    normalizer (facenorm.normalize.torchscript_chain)."""
    from tqdm import tqdm

    from ..pipeline import FacePipeline
    from .torchscript_chain import EYE_DISTANCE_FRACTION, EYES_X, EYES_Y

    pipeline, faces = FacePipeline(), []
    for path in tqdm(paths, desc="align", unit="face", file=sys.stderr, disable=not progress):
        if len(faces) >= limit:
            break
        result = pipeline.analyze(path, keep_image=True)
        if result.error:
            continue
        a = _core.align_face(result.image, result.faces[0].landmarks, size=size,
                             eye_distance=EYE_DISTANCE_FRACTION * size, eyes_x=EYES_X, eyes_y=EYES_Y)
        faces.append(a.image)
    if len(faces) < 8:
        raise _core.InputError(f"train-normalizer: expected at least 8 faces with a detected face, got {len(faces)}")
    return np.stack(faces)


def to_tensor(images: np.ndarray):
    import torch
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div(255.0).contiguous()


def resized(images: np.ndarray, side: int) -> np.ndarray:
    return np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA) for im in images])


def degraded_inputs(ae, faces_small, size: int, batch: int = 64):
    """Stage 1's reconstructions of (N, 3, 128, 128) faces, upsampled to size (bilinear)."""
    import torch
    import torch.nn.functional as F
    ae.eval()
    out = []
    with torch.no_grad():
        for start in range(0, faces_small.shape[0], batch):
            rec = ae(faces_small[start:start + batch])
            out.append(F.interpolate(rec, size=(size, size), mode="bilinear", align_corners=False))
    return torch.cat(out)


def random_patches(tensors, side: int, per_image: int, seed: int) -> list:
    """The same random side x side crops (per_image per image, seeded) of each (N, 3, H, W) tensor."""
    import torch
    n, _, h, w = tensors[0].shape
    rng = np.random.default_rng(seed)
    ys = rng.integers(0, h - side + 1, size=(n, per_image))
    xs = rng.integers(0, w - side + 1, size=(n, per_image))
    return [torch.stack([t[i, :, y:y + side, x:x + side] for i in range(n) for y, x in zip(ys[i], xs[i])])
            for t in tensors]


def train_learned_normalizer(inputs, out, settings: TrainingSettings = None, progress: bool = True) -> dict:
    """Trains both stages (resumable); returns the summary `--json` prints."""
    import torch
    from tqdm import tqdm

    from ..data.inputs import collect_image_paths
    from .. import nets

    settings = settings or TrainingSettings()
    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    torch.set_num_threads(os.cpu_count() or 1)  # Debian's torch starts with one thread
    paths = collect_image_paths(inputs)
    ckpt = Checkpoints(out, settings, [str(i) for i in inputs], {
        "stage": "autoencoder", "epoch": 0,
        "losses": {"autoencoder": [], "autoencoder_dev": [], "restoration": [], "restoration_dev": []}})
    faces = aligned_faces(paths, settings.size, settings.limit, progress)
    order = np.random.default_rng(settings.seed).permutation(len(faces))
    n_dev = max(1, int(round(settings.dev_fraction * len(faces))))
    dev, train = order[:n_dev], order[n_dev:]
    big = to_tensor(faces)
    small = to_tensor(resized(faces, AE_SIDE))

    ae = nets.FaceAutoencoder(settings.channels, settings.bottleneck)
    ae_trainer = nets.AutoencoderTrainer(ae, settings.lr)
    restoration = nets.FaceRestoration(settings.restoration_channels)
    rs_trainer = nets.RestorationTrainer(restoration, settings.lr)
    losses = ckpt.state["losses"]
    if os.path.exists(ckpt.path("autoencoder.pt")):
        ae.load(ckpt.path("autoencoder.pt"))
        ae_trainer.load_state(ckpt.path("autoencoder_adam.pt"))
    train_idx, dev_idx = torch.from_numpy(train), torch.from_numpy(dev)

    def run(stage, epochs, epoch_fn, dev_fn, writers):
        if ckpt.state["stage"] != stage:
            return
        with tqdm(total=epochs, initial=ckpt.state["epoch"], desc=stage, unit="epoch", file=sys.stderr,
                  disable=not progress) as bar:
            for epoch in range(ckpt.state["epoch"], epochs):
                loss = epoch_fn(settings.seed * 1000 + epoch, lambda done, l: bar.set_postfix(loss=f"{l:.4f}"))
                losses[stage].append(loss)
                losses[stage + "_dev"].append(dev_fn())
                bar.set_postfix(loss=f"{loss:.4f}", dev=f"{losses[stage + '_dev'][-1]:.4f}")
                ckpt.state["epoch"] = epoch + 1
                ckpt.save(writers)
                bar.update(1)

    def ae_dev():
        ae.eval()
        with torch.no_grad():
            return float(torch.nn.functional.l1_loss(ae(small[dev_idx]), small[dev_idx]))

    ae_writers = {"autoencoder.pt": ae.save, "autoencoder_adam.pt": ae_trainer.save_state}
    run("autoencoder", settings.epochs_autoencoder,
        lambda seed, cb: ae_trainer.epoch(small[train_idx], settings.batch_size, seed, cb), ae_dev, ae_writers)
    if ckpt.state["stage"] == "autoencoder":
        ckpt.state.update(stage="restoration", epoch=0)
        ckpt.save({})

    degraded = degraded_inputs(ae, small, settings.size)
    structure = nets.coarse_structure(big, settings.structure_factor)
    if os.path.exists(ckpt.path("restoration.pt")):
        restoration.load(ckpt.path("restoration.pt"))
        rs_trainer.load_state(ckpt.path("restoration_adam.pt"))

    def rs_dev():
        restoration.eval()
        with torch.no_grad():
            return float(torch.nn.functional.l1_loss(restoration(degraded[dev_idx], structure[dev_idx]), big[dev_idx]))

    def rs_epoch(seed, cb):
        d, s_, t = random_patches([degraded[train_idx], structure[train_idx], big[train_idx]],
                                  min(settings.patch, settings.size), settings.patches_per_face, seed)
        return rs_trainer.epoch(d, s_, t, settings.batch_size, seed, cb)

    rs_writers = {"restoration.pt": restoration.save, "restoration_adam.pt": rs_trainer.save_state}
    run("restoration", settings.epochs_restoration, rs_epoch, rs_dev, rs_writers)
    if ckpt.state["stage"] == "restoration":
        ckpt.state.update(stage="done", epoch=0)
        ckpt.save({})
    model = {"format": FORMAT, "version": VERSION, **{k: getattr(settings, k) for k in (
        "size", "channels", "bottleneck", "restoration_channels", "structure_factor")},
        "faces": len(faces), "dev_faces": int(n_dev)}
    ckpt.finish(model, weights=("autoencoder.pt", "restoration.pt"))
    return {"out": os.path.abspath(ckpt.folder), "faces": len(faces), "dev_faces": int(n_dev),
            "autoencoder_loss": losses["autoencoder"][-1:], "autoencoder_dev_loss": losses["autoencoder_dev"][-1:],
            "restoration_loss": losses["restoration"][-1:], "restoration_dev_loss": losses["restoration_dev"][-1:],
            "seconds": round(time.perf_counter() - started, 1)}
