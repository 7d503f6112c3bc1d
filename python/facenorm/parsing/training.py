"""`facenorm train-parsing`: the parsing network (facenorm/nets/palsy_parsing.hpp) on CelebAMask-HQ
faces and their palsy-like copies (samples.py), with the paper's augmentation (rotation within
±10°, scale 0.75-1.25, drawn per sample and epoch), Adam, resumable checkpoints and a progress bar.
"""
import os
import sys
import time
from dataclasses import dataclass

import cv2
import numpy as np

from ..checkpoints import Checkpoints
from .labels import CLASSES

__all__ = ["FORMAT", "VERSION", "ParsingSettings", "augmented", "to_tensors", "train_parsing"]

FORMAT = "facenorm-palsy-parsing"
VERSION = 1


@dataclass
class ParsingSettings:
    side: int = 256              # the paper's 250, rounded to a multiple of 32
    channels: int = 16
    attention_dim: int = 64
    epochs: int = 6
    lr: float = 1e-3
    batch_size: int = 8
    boundary_weight: float = 1.0
    augment: bool = True
    seed: int = 0


def augmented(images: np.ndarray, labels: np.ndarray, seed: int):
    """Each pair rotated (±10°) and scaled (0.75-1.25) about its centre; labels with nearest."""
    rng = np.random.default_rng(seed)
    out_i, out_l = np.empty_like(images), np.empty_like(labels)
    side = images.shape[1]
    for k in range(len(images)):
        m = cv2.getRotationMatrix2D(((side - 1) / 2, (side - 1) / 2), rng.uniform(-10, 10), rng.uniform(0.75, 1.25))
        out_i[k] = cv2.warpAffine(images[k], m, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        out_l[k] = cv2.warpAffine(labels[k], m, (side, side), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT)
    return out_i, out_l


def to_tensors(images: np.ndarray, labels: np.ndarray):
    import torch
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div(255.0).contiguous()
    return x, torch.from_numpy(labels.astype(np.int64))


def train_parsing(images, labels, out, settings: ParsingSettings = None, source=(), progress: bool = True) -> dict:
    import torch
    from tqdm import tqdm

    from .. import nets

    settings = settings or ParsingSettings()
    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    ckpt = Checkpoints(out, settings, [str(s) for s in source], {"epoch": 0, "samples": len(images),
                                                                 "losses": {"train": []}}, extendable=("epochs",))
    net = nets.PalsyParsingNet(len(CLASSES), settings.channels, settings.attention_dim)
    trainer = nets.ParsingTrainer(net, settings.lr)
    if os.path.exists(ckpt.path("parsing.pt")):
        net.load(ckpt.path("parsing.pt"))
        trainer.load_state(ckpt.path("parsing_adam.pt"))
    writers = {"parsing.pt": net.save, "parsing_adam.pt": trainer.save_state}
    with tqdm(total=settings.epochs, initial=ckpt.state["epoch"], desc="parsing", unit="epoch", file=sys.stderr,
              disable=not progress) as bar:
        for epoch in range(ckpt.state["epoch"], settings.epochs):
            im, lab = augmented(images, labels, settings.seed * 1000 + epoch) if settings.augment else (images, labels)
            x, y = to_tensors(im, lab)
            loss = trainer.epoch(x, y, settings.batch_size, settings.seed * 1000 + epoch, settings.boundary_weight,
                                 lambda done, l: bar.set_postfix(loss=f"{l:.3f}", done=f"{done}/{len(images)}"))
            ckpt.state["losses"]["train"].append(loss)
            ckpt.state["epoch"] = epoch + 1
            ckpt.save(writers)
            bar.update(1)
    model = {"format": FORMAT, "version": VERSION, "classes": list(CLASSES), "side": settings.side,
             "channels": settings.channels, "attention_dim": settings.attention_dim, "samples": len(images)}
    ckpt.finish(model, weights=("parsing.pt",))
    return {"out": os.path.abspath(ckpt.folder), "samples": len(images),
            "train_loss": ckpt.state["losses"]["train"][-1:], "seconds": round(time.perf_counter() - started, 1)}
