"""`facenorm train`: train a Siamese or baseline lip classifier on a pairs file (ICMI 2024 §4.3).

The paper's recipe: Adam, learning rate 1e-4, batch 16, cross-entropy, at most 50 epochs, early
stopping with patience 5 on the development loss, the best development checkpoint kept, the
last K backbone layers fine-tuned with the head. Ours adds: mirror augmentation (both crops of a
pair mirrored alike: it does not distort the face), a frozen prefix computed once and cached in
the pairs file, resumable checkpoints and progress bars. A run is deterministic given its seed.
"""
import os
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .._core import InputError
from ..checkpoints import Checkpoints
from .inputs import ensure_cached_features, network_inputs, uses_cache
from .model import FORMAT, VERSION, write_model_folder
from .network import NetworkSettings, build_network
from .lip_pairs import LipPairs

__all__ = ["LipTrainSettings", "train_lip_classifier"]


@dataclass
class LipTrainSettings:
    network: NetworkSettings = field(default_factory=NetworkSettings)
    lr: float = 1e-4
    batch_size: int = 16
    max_epochs: int = 50
    patience: int = 5
    mirror: bool = True
    seed: int = 0
    cache_features: bool = True
    exclude_children: bool = False   # the paper's "w/o C" ablation: no children in train / dev
    threads: int = 2

    def checked(self) -> "LipTrainSettings":
        for name in ("batch_size", "max_epochs", "patience", "threads"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name}: expected 1 or more, got {getattr(self, name)}")
        if not self.lr > 0:
            raise InputError(f"lr: expected a positive learning rate, got {self.lr}")
        return LipTrainSettings(**{**asdict(self), "network": self.network.resolved()})


def _labels(pairs, indices):
    import torch

    return torch.from_numpy(pairs.labels[indices].astype(np.int64))


def _state_to_save(net, network: NetworkSettings) -> dict:
    """What a checkpoint must hold: what training changed when the backbone comes from a file,
    everything when the backbone is a random initialization."""
    pretrained = network.backbone in ("resnet34", "face_resnet") or bool(network.torchvision_weights)
    state = net.trainable_state_dict() if pretrained else net.state_dict()
    return {k: v.clone() for k, v in state.items()}


def train_lip_classifier(pairs_path, out, settings: LipTrainSettings = None, progress: bool = True) -> dict:
    """Trains into the folder `out` (resumable: rerun the same call); returns the summary."""
    import torch
    from tqdm import tqdm

    from .. import nets

    from ..nets import torch_threads

    started = time.perf_counter()
    settings = (settings or LipTrainSettings()).checked()
    pairs_path = os.path.abspath(os.fspath(pairs_path))
    ckpt = Checkpoints(out, settings, pairs_path,
                       {"epochs_done": 0, "history": [], "best_epoch": -1, "best_dev_loss": None, "stopped": False},
                       extendable=("max_epochs", "threads"))
    state = ckpt.state
    with torch_threads(settings.threads), LipPairs.open(pairs_path) as pairs:
        subsets = pairs.subsets(exclude_children=settings.exclude_children)
        train, dev = subsets["train"], subsets["dev"]
        if len(train) == 0 or len(dev) == 0:
            raise InputError(f"{pairs_path}: expected records in both train and dev, got {len(train)} and {len(dev)}")
        net = build_network(settings.network, settings.seed)
        cache = uses_cache(net, settings.cache_features)
        cache_started = time.perf_counter()
        made = ensure_cached_features(pairs, net, settings.network, progress) if cache else []
        cache_seconds = time.perf_counter() - cache_started
        tr = network_inputs(pairs, net, settings.network, train, cache)
        dv = network_inputs(pairs, net, settings.network, dev, cache)
        tr_y, dv_y = _labels(pairs, train), _labels(pairs, dev)
    trainer = nets.LipTrainer(net, settings.lr)
    if state["epochs_done"] > 0:
        net.load_state_dict(torch.load(ckpt.path("last.pt")), strict=False)
        trainer.load_state(ckpt.path("adam.pt"))
    epoch_seconds = []
    with torch_threads(settings.threads):
        for epoch in range(state["epochs_done"], settings.max_epochs):
            if state["stopped"]:
                break
            t0 = time.perf_counter()
            with tqdm(total=len(train), unit="pair", desc=f"epoch {epoch + 1}/{settings.max_epochs}",
                      file=sys.stderr, disable=not progress, leave=False) as bar:
                def report(done, loss, bar=bar):
                    bar.update(done - bar.n)
                    bar.set_postfix(loss=f"{loss:.4f}")
                train_loss = trainer.epoch(tr[0], tr[1] if net.siamese else None, tr_y, settings.batch_size,
                                           settings.seed * 1000003 + epoch, settings.mirror, report)
            result = nets.evaluate_lip_classifier(net, dv[0], dv[1] if net.siamese else None, dv_y)
            epoch_seconds.append(time.perf_counter() - t0)
            dev_accuracy = result["correct"] / len(dev)
            state["history"].append({"epoch": epoch + 1, "train_loss": train_loss, "dev_loss": result["loss"],
                                     "dev_accuracy": dev_accuracy, "seconds": epoch_seconds[-1]})
            writers = {"last.pt": lambda p: torch.save(_state_to_save(net, settings.network), p),
                       "adam.pt": trainer.save_state}
            if state["best_dev_loss"] is None or result["loss"] < state["best_dev_loss"]:
                state["best_dev_loss"], state["best_epoch"] = result["loss"], epoch + 1
                writers["best.pt"] = writers["last.pt"]
            state["epochs_done"] = epoch + 1
            state["stopped"] = state["epochs_done"] - state["best_epoch"] >= settings.patience
            ckpt.save(writers)
            if progress:
                print(f"epoch {epoch + 1}: train loss {train_loss:.4f}, dev loss {result['loss']:.4f}, "
                      f"dev accuracy {dev_accuracy:.3f}{' (best)' if 'best.pt' in writers else ''}", file=sys.stderr)
    net.load_state_dict(torch.load(ckpt.path("best.pt")), strict=False)
    write_model_folder(out, net, settings, _state_to_save(net, settings.network), pairs_path, state)
    return {"out": os.path.abspath(os.fspath(out)), "epochs": state["epochs_done"], "best_epoch": state["best_epoch"],
            "best_dev_loss": state["best_dev_loss"], "stopped_early": state["stopped"],
            "dev_accuracy": state["history"][state["best_epoch"] - 1]["dev_accuracy"],
            "train_records": int(len(train)), "dev_records": int(len(dev)), "cached_features": cache,
            "features_computed": made, "feature_cache_seconds": round(cache_seconds, 2),
            "seconds_per_epoch": round(float(np.median(epoch_seconds)), 3) if epoch_seconds else None,
            "seconds": round(time.perf_counter() - started, 2), "format": FORMAT, "version": VERSION}
