"""Training the lower-face inpainter (inpainter.py) on normal faces of every age: the crops of a
feature cache's faces and their mirrors (training_crops.py), fresh random holes every epoch, drawn
where `map-inpaint` will cut them: cleft-like bands from the upper lip to a nostril, blobs on the
lips, philtrum and nostrils, and free-form strokes (LaMa's masks, moved onto the lower face).
Every tenth face is held out to compare the fill with Telea's on the same holes.

Checkpoints after every epoch (inpainter.pt, inpainter_adam.pt, training.json): a killed run
resumes, a rerun with more --epochs trains further.
"""
import os
from dataclasses import asdict, dataclass
from typing import Optional

import cv2
import numpy as np

from ..checkpoints import Checkpoints
from .inpainter import FORMAT, VERSION, WEIGHTS, WINDOW, FaceInpainterModel, window_of
from .training_crops import training_crops
from .training_loop import train_epochs

__all__ = ["InpainterSettings", "random_holes", "mirrored_landmarks", "hole_errors", "train_inpainter"]

ORIGIN = np.array([WINDOW[1].start, WINDOW[0].start], np.float32)   # (x, y) of the window in the crop
SHAPE = (WINDOW[0].stop - WINDOW[0].start, WINDOW[1].stop - WINDOW[1].start)
MAX_HOLE_SHARE = 0.3


@dataclass
class InpainterSettings:
    channels: int = 32
    epochs: int = 3
    batch: int = 16
    lr: float = 1e-3
    perceptual_weight: float = 0.05
    seed: int = 0
    holdout_every: int = 10
    limit: Optional[int] = None


def _cleft_band(mask, lm, rng):
    """A band from the upper lip's vermilion up to one nostril, ragged like a gap."""
    side = rng.choice([-1, 1])
    top = lm[33] + side * rng.uniform(4, 14) * np.array([1.0, 0.0]) + [0, rng.uniform(-4, 2)]
    bottom = lm[51] + [side * rng.uniform(2, 12), rng.uniform(0, 10)]
    for t in np.linspace(0, 1, 8):
        centre = top + t * (bottom - top) + rng.normal(0, 1.5, 2)
        axes = (int(rng.uniform(3, 9)), int(rng.uniform(4, 9)))
        cv2.ellipse(mask, tuple(int(v) for v in centre), axes, 0, 0, 360, 1, -1)


def _blobs(mask, lm, rng):
    anchors = [lm[i] for i in (31, 33, 35, 48, 50, 51, 52, 54, 57, 62, 66)]
    for _ in range(rng.integers(1, 4)):
        centre = anchors[rng.integers(len(anchors))] + rng.normal(0, 4, 2)
        axes = (int(rng.uniform(4, 22)), int(rng.uniform(3, 14)))
        cv2.ellipse(mask, tuple(int(v) for v in centre), axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)


def _strokes(mask, lm, rng):
    for _ in range(rng.integers(1, 4)):
        point = lm[rng.integers(30, 68)] + rng.normal(0, 6, 2)
        width = int(rng.uniform(4, 14))
        for _ in range(rng.integers(2, 6)):
            step = rng.normal(0, 12, 2)
            nxt = np.clip(point + step, 0, [SHAPE[1] - 1, SHAPE[0] - 1])
            cv2.line(mask, tuple(int(v) for v in point), tuple(int(v) for v in nxt), 1, width)
            point = nxt


def random_holes(window_landmarks: np.ndarray, seed: int) -> np.ndarray:
    """uint8 (N, 144, 128) holes for faces with landmarks in window coordinates (N, 68, 2)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((len(window_landmarks),) + SHAPE, np.uint8)
    makers = (_cleft_band, _blobs, _strokes)
    for i, lm in enumerate(window_landmarks):
        mask = np.zeros(SHAPE, np.uint8)
        for k in rng.choice(3, size=rng.integers(1, 3), replace=False):
            makers[k](mask, lm, rng)
        if mask.mean() > MAX_HOLE_SHARE:   # keep enough of the face to fill from
            mask = cv2.erode(mask, np.ones((5, 5), np.uint8), iterations=3)
        out[i] = mask
    return out


def mirrored_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """Crop landmarks (N, 68, 2) -> interleaved with their mirrors' (2N, 68, 2), window coordinates.
    The mirror's points are not re-indexed (left and right swap): the holes only need places."""
    flipped = landmarks.copy()
    flipped[..., 0] = 223.0 - flipped[..., 0]
    both = np.stack([landmarks, flipped], axis=1).reshape(-1, 68, 2)
    return both - ORIGIN


def hole_errors(model: FaceInpainterModel, windows: np.ndarray, holes: np.ndarray) -> dict:
    """Mean absolute error inside the holes (8-bit levels), the network's against Telea's."""
    import torch

    net_err, telea_err = [], []
    for lo in range(0, len(windows), 32):
        w, h = windows[lo:lo + 32], holes[lo:lo + 32]
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(w)).permute(0, 3, 1, 2).float().div_(255.0)
            m = torch.from_numpy(h.astype(np.float32))[:, None]
            filled = model.net(x, m).permute(0, 2, 3, 1).mul_(255.0).numpy()
        for wi, hi, fi in zip(w, h, filled):
            inside = hi > 0
            if not inside.any():
                continue
            telea = cv2.inpaint(wi, hi * 255, 5, cv2.INPAINT_TELEA).astype(np.float32)
            net_err.append(np.abs(fi[inside] - wi[inside]).mean())
            telea_err.append(np.abs(telea[inside] - wi[inside]).mean())
    return {"network": round(float(np.mean(net_err)), 3), "telea": round(float(np.mean(telea_err)), 3),
            "faces": len(net_err)}


def train_inpainter(cache_path, out, settings: InpainterSettings = None, progress: bool = True) -> dict:
    import torch

    from .. import nets
    from ..score.deep_features import load_network
    from .features import BACKBONE

    settings = settings or InpainterSettings()
    faces = training_crops(cache_path, settings.limit, progress)
    n = len(faces.crops)
    held_out = np.arange(n) % settings.holdout_every == 0
    windows = window_of(faces.mirrored("crops"))                 # (2n, 144, 128, 3)
    landmarks = mirrored_landmarks(faces.landmarks)
    train_rows = np.flatnonzero(np.repeat(~held_out, 2))
    held_rows = np.flatnonzero(np.repeat(held_out, 2))

    ckpt = Checkpoints(out, settings, os.path.abspath(os.fspath(cache_path)), {"epoch": 0, "losses": []},
                       extendable=("epochs",))
    net = nets.FaceInpainter(settings.channels)
    trainer = nets.InpainterTrainer(net, settings.lr)
    if os.path.exists(ckpt.path(WEIGHTS)):
        net.load(ckpt.path(WEIGHTS))
        trainer.load_state(ckpt.path("inpainter_adam.pt"))
    perceptual = load_network(BACKBONE) if settings.perceptual_weight > 0 else None
    windows_t = torch.from_numpy(np.ascontiguousarray(windows[train_rows]))
    def run_epoch(epoch, step):
        holes = torch.from_numpy(random_holes(landmarks[train_rows], settings.seed + 1000 * (epoch + 1)))
        return trainer.epoch(windows_t, holes, perceptual, settings.perceptual_weight, settings.batch,
                             settings.seed + epoch, step)
    train_epochs(ckpt, settings.epochs, "inpainter", "window", len(train_rows), run_epoch,
                 {WEIGHTS: net.save, "inpainter_adam.pt": trainer.save_state}, progress)
    net.eval()
    errors = hole_errors(FaceInpainterModel(net, {}), windows[held_rows], random_holes(landmarks[held_rows], 7))
    groups = {}
    for g in np.asarray(faces.age_groups)[~held_out]:
        groups[g or "unknown (CelebA)"] = groups.get(g or "unknown (CelebA)", 0) + 1
    document = {"format": FORMAT, "version": VERSION, **asdict(settings),
                "window": {"rows": [WINDOW[0].start, WINDOW[0].stop], "cols": [WINDOW[1].start, WINDOW[1].stop]},
                "faces": int((~held_out).sum()), "held_out_faces": int(held_out.sum()), "age_groups": groups,
                "losses": ckpt.state["losses"], "held_out_hole_error": errors,
                "perceptual": "resnet34_1000_imagenet_classifier stem + stage 1 (frozen)",
                "cache": os.path.basename(os.fspath(cache_path)), "command": "facenorm train-inpainter"}
    ckpt.finish(document, weights=(WEIGHTS,))
    return {"out": os.path.abspath(ckpt.folder), "losses": ckpt.state["losses"], "held_out_hole_error": errors}
