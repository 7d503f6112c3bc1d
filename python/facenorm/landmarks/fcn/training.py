"""`facenorm train-landmarks`: train the cascaded FCN (AFLFP) on landmark samples (samples.py).

The paper's recipe: both stages trained together on eq. 2, Adam, batch 32, learning rate divided
by 10 every `lr_step` epochs, 96 x 96 grayscale crops, sigma 5 heatmaps. Our additions: a
horizontal flip of half the crops each epoch (left/right points swapped), a development split by
subject for the loss curve, resumable checkpoints (facenorm.checkpoints) and a progress bar.
"""
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from ...checkpoints import Checkpoints
from .crop import SCALE, SHIFT_DOWN, from_crop
from .model import FORMAT, VERSION
from .samples import LandmarkSet, flipped

__all__ = ["FcnSettings", "subject_split", "train_fcn", "cross_validate"]


@dataclass
class FcnSettings:
    width_divisor: int = 8      # Table 1's widths / 8: trains on 2 CPU cores (1 = the paper's network)
    epochs: int = 30
    lr: float = 1e-3            # the paper's 1e-4 is slow for the narrower network (docs/palsy.md)
    lr_step: int = 20           # divide the learning rate by 10 every lr_step epochs (the paper: 30)
    batch_size: int = 32
    sigma: float = 5.0
    flip: bool = True
    dev_fraction: float = 0.05
    seed: int = 0


def subject_split(subjects, fraction: float, seed: int):
    """(train index, dev index): whole subjects go to dev until it holds `fraction` of samples."""
    unique = sorted(set(subjects))
    order = np.random.default_rng(seed).permutation(len(unique))
    n_dev = max(1, int(round(fraction * len(unique)))) if len(unique) > 1 else 0
    dev_subjects = {unique[i] for i in order[:n_dev]}
    dev = np.array([i for i, s in enumerate(subjects) if s in dev_subjects], np.int64)
    train = np.array([i for i, s in enumerate(subjects) if s not in dev_subjects], np.int64)
    return train, dev


def train_fcn(samples: LandmarkSet, out, settings: FcnSettings = None, source=(), progress: bool = True) -> dict:
    import torch
    from tqdm import tqdm

    from ... import nets

    settings = settings or FcnSettings()
    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    torch.set_num_threads(os.cpu_count() or 1)  # Debian's torch starts with one thread
    ckpt = Checkpoints(out, settings, [str(s) for s in source],
                       {"epoch": 0, "samples": len(samples), "losses": {"train": [], "dev": [], "lr": []}},
                       extendable=("epochs",))
    train, dev = subject_split(samples.subjects, settings.dev_fraction, settings.seed)
    net = nets.CascadedFcn(68, settings.width_divisor)
    trainer = nets.FcnTrainer(net, settings.lr)
    if os.path.exists(ckpt.path("fcn.pt")):
        net.load(ckpt.path("fcn.pt"))
        trainer.load_state(ckpt.path("fcn_adam.pt"))
    losses = ckpt.state["losses"]
    dev_crops = torch.from_numpy(samples.crops[dev]).unsqueeze(1).float().div(255.0)
    dev_points = torch.from_numpy(samples.points[dev])

    def dev_loss() -> float:
        net.eval()
        total = 0.0
        with torch.no_grad():
            for s in range(0, len(dev), 64):
                h1, h2 = net(dev_crops[s:s + 64])
                targets = nets.landmark_heatmaps(dev_points[s:s + 64], 96, settings.sigma)
                total += float(nets.cascaded_fcn_loss(h1, h2, targets)) * len(targets)
        return total / max(1, len(dev))

    writers = {"fcn.pt": net.save, "fcn_adam.pt": trainer.save_state}
    with tqdm(total=settings.epochs, initial=ckpt.state["epoch"], desc="fcn", unit="epoch", file=sys.stderr,
              disable=not progress) as bar:
        for epoch in range(ckpt.state["epoch"], settings.epochs):
            trainer.lr = settings.lr * 0.1 ** (epoch // settings.lr_step)
            crops, points = samples.crops[train], samples.points[train]
            if settings.flip:  # a seeded half of the crops mirrored this epoch
                pick = np.random.default_rng([settings.seed, epoch]).random(len(train)) < 0.5
                crops, points = crops.copy(), points.copy()
                crops[pick], points[pick] = flipped(crops[pick], points[pick])
            x = torch.from_numpy(crops).unsqueeze(1).float().div(255.0)
            loss = trainer.epoch(x, torch.from_numpy(np.ascontiguousarray(points)), settings.batch_size,
                                 settings.seed * 1000 + epoch, settings.sigma,
                                 lambda done, l: bar.set_postfix(loss=f"{l:.2f}", done=f"{done}/{len(train)}"))
            losses["train"].append(loss)
            losses["dev"].append(dev_loss() if len(dev) else None)
            losses["lr"].append(trainer.lr)
            bar.set_postfix(loss=f"{loss:.2f}", dev=f"{losses['dev'][-1] or 0:.2f}")
            ckpt.state["epoch"] = epoch + 1
            ckpt.save(writers)
            bar.update(1)
    model = {"format": FORMAT, "version": VERSION, "points": 68, "side": 96, "width_divisor": settings.width_divisor,
             "sigma": settings.sigma, "top_k": 25, "weighted": False, "crop_scale": SCALE,
             "crop_shift_down": SHIFT_DOWN, "samples": len(samples), "dev_samples": int(len(dev))}
    ckpt.finish(model, weights=("fcn.pt",))
    return {"out": os.path.abspath(ckpt.folder), "samples": len(samples), "dev_samples": int(len(dev)),
            "train_loss": losses["train"][-1:], "dev_loss": losses["dev"][-1:],
            "seconds": round(time.perf_counter() - started, 1)}


def cross_validate(samples: LandmarkSet, out, settings: FcnSettings, folds: int = 10, source=(),
                   progress: bool = True) -> dict:
    """Subject-independent k-fold cross-validation (AFLFP section V-A): one model per fold in
    out/fold_<i> (each resumable), NME of the held-out fold from its model; writes out/crossval.csv
    and out/crossval.md (mean ± std over samples, by group)."""
    import csv

    from .model import FcnLandmarker
    from .nme import nme, subject_folds

    os.makedirs(out, exist_ok=True)
    rows = []
    for f, (train, test) in enumerate(subject_folds(samples.subjects, folds, settings.seed)):
        folder = os.path.join(out, f"fold_{f}")
        train_fcn(samples.subset(train), folder, settings, source, progress)
        held = samples.subset(test)
        points = FcnLandmarker(folder).predict_crops(held.crops)
        pred = np.stack([from_crop(p, t) for p, t in zip(points, held.transforms)])
        errors = nme(pred, held.truth)
        rows += [{"fold": f, "path": held.paths[i], "subject": held.subjects[i], "group": held.groups[i],
                  **{k: round(float(v[i]), 4) for k, v in errors.items()}} for i in range(len(held))]
    tmp = os.path.join(out, ".crossval.csv.partial")
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, os.path.join(out, "crossval.csv"))
    groups = sorted({r["group"] for r in rows}) + ["all"]
    table = ["| group | n | NME eq. 3 (%) | NME box (%) | NME inter-ocular (%) |", "|---|---|---|---|---|"]
    summary = {}
    for g in groups:
        sel = [r for r in rows if g in ("all", r["group"])]
        summary[g] = {k: (float(np.mean([r[k] for r in sel])), float(np.std([r[k] for r in sel])))
                      for k in ("nme_eq3", "nme_box", "nme_io")}
        table.append(f"| {g} | {len(sel)} | " + " | ".join(f"{m:.2f} ± {s:.2f}" for m, s in summary[g].values()) + " |")
    with open(os.path.join(out, "crossval.md"), "w") as fh:
        fh.write(f"{folds}-fold cross-validation by subject, {len(samples)} samples\n\n" + "\n".join(table) + "\n")
    return {"out": os.path.abspath(out), "folds": folds, "samples": len(samples), "summary": summary}
