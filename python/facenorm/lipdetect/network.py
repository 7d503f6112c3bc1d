"""Building a lip classifier (facenorm._nets.LipClassifier) from settings: backbone weights,
the run's seed, partial fine-tuning, and the crops' resizing to the backbone's input side.

Backbones: `mobilenet_v2` (the paper's; torchvision structure, random initialization unless a
torchvision state dict is given: ImageNet weights cannot be downloaded here), `resnet34` (dlib's
ImageNet ResNet-34, pretrained, from models/), `face_resnet` (dlib's face recognition ResNet,
pretrained on faces), `simple_cnn` (the paper's three-block ablation).
"""
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .._core import InputError, ModelError

__all__ = ["BACKBONES", "DLIB_WEIGHTS", "DEFAULT_TRAINABLE_LAYERS", "DEFAULT_INPUT_SIDE", "NetworkSettings",
           "load_torchvision_mobilenet_v2", "reset_head", "build_network", "resize_crops"]

BACKBONES = ("mobilenet_v2", "resnet34", "face_resnet", "simple_cnn")
DLIB_WEIGHTS = {"resnet34": "resnet34_1000_imagenet_classifier", "face_resnet": "dlib_face_recognition_resnet_model_v1"}
# The paper fine-tunes MobileNetV2's last 98 layers; the pretrained dlib nets default to a frozen
# backbone (cheap with cached features, and the measured best here: docs/results.md).
DEFAULT_TRAINABLE_LAYERS = {"mobilenet_v2": 98, "resnet34": 0, "face_resnet": 0, "simple_cnn": -1}
DEFAULT_INPUT_SIDE = {"mobilenet_v2": 224, "resnet34": 224, "face_resnet": 150, "simple_cnn": 224}


@dataclass
class NetworkSettings:
    backbone: str = "resnet34"
    siamese: bool = True
    hidden: int = 256
    trainable_layers: Optional[int] = None   # None: the backbone's default (above); -1: all
    input_side: Optional[int] = None         # None: the backbone's default
    backbone_seed: int = 0                   # random backbones only: fixed across runs, so caches are shared
    torchvision_weights: str = ""            # mobilenet_v2: a torchvision state dict (.pth)

    def resolved(self) -> "NetworkSettings":
        if self.backbone not in BACKBONES:
            raise InputError(f"backbone: expected one of {', '.join(BACKBONES)}, got '{self.backbone}'")
        if self.torchvision_weights and self.backbone != "mobilenet_v2":
            raise InputError("torchvision_weights: only the mobilenet_v2 backbone takes a torchvision state dict")
        k = DEFAULT_TRAINABLE_LAYERS[self.backbone] if self.trainable_layers is None else int(self.trainable_layers)
        side = DEFAULT_INPUT_SIDE[self.backbone] if self.input_side is None else int(self.input_side)
        if side < 32:
            raise InputError(f"input_side: expected 32 pixels or more, got {side}")
        return NetworkSettings(self.backbone, bool(self.siamese), int(self.hidden), k, side, int(self.backbone_seed),
                               os.path.abspath(self.torchvision_weights) if self.torchvision_weights else "")

    def pretrained_source(self) -> str:
        """What the backbone's weights come from (part of a feature cache's identity)."""
        if self.backbone in DLIB_WEIGHTS:
            return DLIB_WEIGHTS[self.backbone]
        if self.torchvision_weights:
            from ..models import sha256_of
            return f"torchvision:{sha256_of(self.torchvision_weights)}"
        return f"random:{self.backbone_seed}"


def load_torchvision_mobilenet_v2(net, path) -> None:
    """Copies a torchvision MobileNetV2 state dict (torch.save of model.state_dict(), or a dict
    holding one under 'state_dict') into the classifier's backbone; the ImageNet classifier
    layer is not part of the backbone and is ignored. ModelError when it is not one."""
    import torch

    if not os.path.isfile(path):
        from .._core import MissingFileError
        raise MissingFileError(f"{path}: torchvision MobileNetV2 state dict not found")
    try:
        state = torch.load(path, map_location="cpu")
    except Exception as e:  # pickle, zip or torch errors: all mean "not a state dict file"
        raise ModelError(f"{path}: not a torch state dict ({type(e).__name__}: {e})") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(f"{path}: expected a dict of tensors (a torchvision MobileNetV2 state_dict)")
    features = {k: v for k, v in state.items() if k.startswith("features.")}
    if not features:
        raise ModelError(f"{path}: no 'features.*' tensors; expected a torchvision MobileNetV2 state_dict")
    own = [k[len("backbone."):] for k in net.state_dict() if k.startswith("backbone.features.")]
    absent = sorted(set(own) - set(features))
    if absent:
        raise ModelError(f"{path}: lacks {len(absent)} of MobileNetV2's tensors ({', '.join(absent[:3])}, ...); "
                         "expected a torchvision MobileNetV2 (width 1.0) state_dict")
    _, unexpected = net.load_state_dict(features, strict=False, prefix="backbone.")
    if unexpected:
        raise ModelError(f"{path}: tensors MobileNetV2 does not have: {', '.join(unexpected[:3])}")


def reset_head(net, seed: int) -> None:
    """The head's initialization from the run's seed (PyTorch's nn.Linear default), leaving the
    backbone as built, so runs differ in their head and sample order but share a backbone."""
    import torch

    generator = torch.Generator().manual_seed(int(seed))
    state = {}
    for name in ("reduce", "classify"):
        w = net.state_dict()[f"{name}.weight"]
        bound = 1.0 / np.sqrt(w.shape[1])
        state[f"{name}.weight"] = (torch.rand(w.shape, generator=generator) * 2 - 1) * bound
        state[f"{name}.bias"] = (torch.rand((w.shape[0],), generator=generator) * 2 - 1) * bound
    net.load_state_dict(state, strict=False)


def build_network(settings: NetworkSettings, seed: int = 0):
    """A LipClassifier as `settings` say, head initialized from `seed`, layers frozen."""
    from ..models import resolve
    from .. import nets

    s = settings.resolved()
    weights_file = str(resolve(DLIB_WEIGHTS[s.backbone])) if s.backbone in DLIB_WEIGHTS else ""
    net = nets.LipClassifier(s.backbone, s.siamese, s.hidden, weights_file, s.backbone_seed)
    if s.torchvision_weights:
        load_torchvision_mobilenet_v2(net, s.torchvision_weights)
    reset_head(net, seed)
    net.set_trainable_layers(s.trainable_layers)
    return net


def resize_crops(crops: np.ndarray, side: int) -> np.ndarray:
    """uint8 (N, S, S, 3) -> (N, side, side, 3) (area interpolation when shrinking)."""
    import cv2

    crops = np.asarray(crops)
    if crops.dtype != np.uint8 or crops.ndim != 4 or crops.shape[3] != 3 or crops.shape[1] != crops.shape[2]:
        raise InputError(f"crops: expected uint8 (N, S, S, 3), got {crops.dtype} {crops.shape}")
    if crops.shape[1] == side:
        return np.ascontiguousarray(crops)
    method = cv2.INTER_AREA if side < crops.shape[1] else cv2.INTER_LINEAR
    out = np.empty((len(crops), side, side, 3), np.uint8)
    for i, c in enumerate(crops):
        out[i] = cv2.resize(c, (side, side), interpolation=method)
    return out
