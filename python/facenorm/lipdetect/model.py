"""A trained lip classifier's folder and its use on crops and on photos.

The folder holds `weights.pt` (a state dict: what training changed when the backbone comes from
a pretrained file, everything otherwise) and `model.json`: format, version, the network settings,
how the training faces were aligned and cropped and which normalizer made their pairs (a photo
is treated the same way), the decision threshold, sha256 of the weights, the training history.
"""
import json
import os
from dataclasses import asdict

import numpy as np

from .._core import InputError, ModelError
from ..models import read_model_folder, sha256_of
from .network import NetworkSettings, build_network, resize_crops

__all__ = ["FORMAT", "VERSION", "COMMAND", "DOCS", "WEIGHTS", "default_model_dir", "write_model_folder",
           "LipModel"]

FORMAT = "facenorm-lip-classifier"
VERSION = 1
COMMAND = "facenorm train"
DOCS = "docs/lip_detection.md"
WEIGHTS = "weights.pt"


def default_model_dir() -> str:
    from ..models import model_dir
    return model_dir("lip_classifier", COMMAND)


def _face_geometry(pairs_params: dict) -> dict:
    """Alignment and crop of the training faces, read from the files the pairs came from."""
    from ..data.dataset import Dataset

    geometry = {"size": 512, "eye_distance": None, "region": pairs_params.get("region", "lip"),
                "crop_size": int(pairs_params.get("crop_size", 224)), "margin": float(pairs_params.get("margin", 0.15)),
                "normalizer": "none"}
    sources = pairs_params.get("sources") or []
    if not sources:
        return geometry
    try:
        with Dataset.open(sources[0]["prepared"]) as d:
            geometry["size"], geometry["eye_distance"] = int(d.params["size"]), float(d.params["eye_distance"])
        if sources[0].get("normalized"):
            with Dataset.open(sources[0]["normalized"]) as d:
                geometry["normalizer"] = d.params.get("normalizer", "none")
    except Exception as e:  # the model is still usable on crops; classify needs these
        geometry["unknown"] = f"{type(e).__name__}: {e}"
    return geometry


def write_model_folder(out, net, settings, state: dict, pairs_path: str, training: dict) -> None:
    """weights.pt and model.json, each written to a temporary file and renamed."""
    import torch

    from .lip_pairs import LipPairs

    with LipPairs.open(pairs_path) as pairs:
        geometry = _face_geometry(pairs.params)
    weights = os.path.join(out, WEIGHTS)
    tmp = weights + f".tmp{os.getpid()}"
    torch.save(state, tmp)
    os.replace(tmp, weights)
    spec = {"format": FORMAT, "version": VERSION, "network": asdict(settings.network), "face": geometry,
            "threshold": 0.5, "weights_scope": "all" if len(state) == len(net.state_dict()) else "trained",
            "sha256": {WEIGHTS: sha256_of(weights)}, "pairs": pairs_path,
            "training": {k: v for k, v in asdict(settings).items() if k != "network"},
            "best_epoch": training["best_epoch"], "epochs": training["epochs_done"],
            "best_dev_loss": training["best_dev_loss"], "history": training["history"]}
    path = os.path.join(out, "model.json")
    with open(path + ".tmp", "w") as f:
        json.dump(spec, f, indent=1)
    os.replace(path + ".tmp", path)


def _float_nchw(crops: np.ndarray):
    """uint8 (N, S, S, 3) -> float32 tensor (N, 3, S, S), converted by NumPy: torch's own
    permute().float() on one crop can wait for its thread pool (up to 8 ms measured on 2 cores)."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32))


class LipModel:
    """A trained Siamese (or baseline) lip classifier. threads: torch threads while predicting."""

    def __init__(self, model_dir=None, threads=None):
        import torch

        self.model_dir = os.fspath(model_dir or default_model_dir())
        self.spec = read_model_folder(self.model_dir, FORMAT, VERSION, COMMAND, DOCS)
        if WEIGHTS not in self.spec.get("sha256", {}):
            raise ModelError(f"{self.model_dir}/model.json: lists no checksum for {WEIGHTS}")
        self.network = NetworkSettings(**self.spec["network"])
        self.net = build_network(self.network, seed=0)
        state = torch.load(os.path.join(self.model_dir, WEIGHTS))
        missing, unexpected = self.net.load_state_dict(state, strict=self.spec.get("weights_scope") == "all")
        if unexpected:
            raise ModelError(f"{self.model_dir}/{WEIGHTS}: tensors this network does not have: {unexpected[:5]}")
        self.net.eval()
        self.threshold = float(self.spec.get("threshold", 0.5))
        self.face = self.spec.get("face", {})
        self.threads = threads

    def __repr__(self) -> str:
        kind = "Siamese" if self.network.siamese else "baseline"
        return f"LipModel({self.model_dir!r}, {kind}, backbone={self.network.backbone})"

    def _tensors(self, original, normalized):
        side = self.network.resolved().input_side
        x = _float_nchw(resize_crops(original, side))
        if not self.network.siamese:
            return x, None
        if normalized is None or np.shape(normalized) != np.shape(original):
            raise InputError(f"normalized: the Siamese model needs the normalized crops with the originals' shape "
                             f"{np.shape(original)}, got {None if normalized is None else np.shape(normalized)}")
        return x, _float_nchw(resize_crops(normalized, side))

    def predict_crops(self, original, normalized=None, batch: int = 32) -> np.ndarray:
        """p(abnormal) float64 (N,) for uint8 (N, S, S, 3) RGB lip crops (and their normalized twins)."""
        import torch

        from ..nets import torch_threads

        out = []
        with torch_threads(self.threads), torch.no_grad():
            for start in range(0, len(original), batch):
                o, n = self._tensors(original[start:start + batch],
                                     None if normalized is None else normalized[start:start + batch])
                out.append(torch.softmax(self.net(o, n), 1)[:, 1].double().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def class_activation_maps(self, original, normalized=None):
        """(p_abnormal (N,), maps float32 (N, h, w)): CAM of the abnormal logit, both branches summed
        (the crops are pixel-aligned, so each location's total contribution)."""
        import torch

        from ..nets import torch_threads

        with torch_threads(self.threads):
            o, n = self._tensors(original, normalized)
            logits, maps = self.net.class_activation_maps(o, n)
        return torch.softmax(logits, 1)[:, 1].double().numpy(), maps.sum(1).numpy()
