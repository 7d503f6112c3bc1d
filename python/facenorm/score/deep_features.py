"""Deep-feature distance heatmaps: an LPIPS-like map from dlib's pretrained ResNets in libtorch.

LPIPS proper needs torchvision weights and learned layer weights, neither of which can be had
offline; dlib's ResNet-34 ImageNet classifier can (models/MANIFEST). facenorm imports it into a
libtorch module (facenorm._nets, validated against dlib's own forward pass) and compares the two
images' unit-normalized activations after the stem and each stage, LPIPS without the learned
weights:

    d(x, y) = mean over layers l of upsample( mean over channels (x̂_l - ŷ_l)^2 )

where x̂_l is the layer's feature vector at each position divided by its norm. The map is
built from torch ops only, so `distance_map` also serves as a differentiable perceptual loss.
"""
import threading

import numpy as np
import torch
import torch.nn.functional as F

from .. import models
from .._core import InputError, InputTypeError, ModelError

__all__ = ["DEFAULT_MODEL", "load_network", "check_image_pair", "image_to_tensor", "downscaled_size", "resize_map",
           "DeepFeatureDistance"]

DEFAULT_MODEL = "resnet34_1000_imagenet_classifier"
# Manifest name -> the facenorm.nets loader for that network.
_LOADERS = {
    "resnet34_1000_imagenet_classifier": "load_dlib_resnet34",
    "dlib_face_recognition_resnet_model_v1": "load_dlib_face_resnet",
}

_cache = {}
_cache_lock = threading.Lock()


def load_network(model: str = DEFAULT_MODEL):
    """The libtorch twin of a dlib ResNet named in models/MANIFEST, loaded once per process.

    Parameters are frozen (gradients still flow to the input). ModelError names the fetch
    command when the file is missing, or says what is wrong with it.
    """
    if model not in _LOADERS:
        raise ModelError(f"deep features: unsupported model '{model}'; expected one of {', '.join(_LOADERS)}")
    with _cache_lock:
        if model not in _cache:
            from .. import nets  # imports torch's C++ half and checks the versions match
            path = models.resolve(model)
            _cache[model] = getattr(nets, _LOADERS[model])(str(path))
        return _cache[model]


def check_image_pair(original, normalized, who: str) -> None:
    """Both uint8 (H, W, 3) RGB NumPy arrays of one shape, else InputTypeError / InputError."""
    for name, image in (("original", original), ("normalized", normalized)):
        if not isinstance(image, np.ndarray):
            raise InputTypeError(f"{who}: {name} must be a NumPy array, got {type(image).__name__}")
        if image.dtype != np.uint8:
            raise InputTypeError(f"{who}: {name} must be uint8 RGB, got {image.dtype} (see facenorm.as_rgb8)")
        if image.ndim != 3 or image.shape[2] != 3:
            raise InputError(f"{who}: {name} must have shape (H, W, 3) RGB, got {image.shape}")
    if original.shape != normalized.shape:
        raise InputError(f"{who}: original {original.shape} and normalized {normalized.shape} differ in shape")


def image_to_tensor(image: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) -> float32 (1, 3, H, W), still in 0-255."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).unsqueeze(0).float()


def downscaled_size(height: int, width: int, max_side) -> tuple:
    """(h, w) with the longer side at most max_side, aspect kept; unchanged when it already fits."""
    if max_side is None or max(height, width) <= max_side:
        return height, width
    scale = max_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_map(heat: torch.Tensor, size: tuple) -> torch.Tensor:
    """(N, 1, h, w) -> (N, 1, *size), bilinear (align_corners=False, as LPIPS upsamples)."""
    if tuple(heat.shape[-2:]) == tuple(size):
        return heat
    return F.interpolate(heat, size=size, mode="bilinear", align_corners=False)


class DeepFeatureDistance:
    """Deep-feature distance heatmaps from a dlib ResNet (default: the ResNet-34 ImageNet classifier).

    layers: names from the network's feature_names ("stem", "stage1" ... "stage4"); default all.
    max_side: when set, images whose longer side exceeds it are downscaled (antialiased bilinear)
      before the network, and the map is resized back, for speed.
    The network loads on first use and is shared by every instance in the process.
    """

    def __init__(self, model: str = DEFAULT_MODEL, layers=None, max_side=None):
        if model not in _LOADERS:
            raise ModelError(f"deep features: unsupported model '{model}'; expected one of {', '.join(_LOADERS)}")
        if max_side is not None and (isinstance(max_side, bool) or not isinstance(max_side, (int, np.integer))
                                     or max_side < 1):
            raise InputError(f"max_side: expected a positive integer or None, got {max_side!r}")
        if layers is not None:
            if isinstance(layers, str) or not all(isinstance(name, str) for name in layers) or not len(layers):
                raise InputError(f"layers: expected a non-empty sequence of layer names, got {layers!r}")
            layers = tuple(layers)
        self.model = model
        self.max_side = None if max_side is None else int(max_side)
        self._layers = layers

    @property
    def net(self):
        """The libtorch module (facenorm._nets.DlibResNet)."""
        return load_network(self.model)

    @property
    def layers(self) -> tuple:
        return self._layers if self._layers is not None else tuple(self.net.feature_names)

    def distance_map(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Float RGB (N, 3, H, W) in 0-255, same shape -> (N, 1, H, W). Differentiable in x and y."""
        from .. import nets
        return nets.deep_feature_distance(self.net, x, y, list(self.layers))

    def heatmap(self, original: np.ndarray, normalized: np.ndarray) -> np.ndarray:
        """uint8 RGB (H, W, 3) pair -> float32 (H, W); 0 where the network sees no difference."""
        check_image_pair(original, normalized, "deep feature heatmap")
        height, width = original.shape[:2]
        size = downscaled_size(height, width, self.max_side)
        with torch.no_grad():
            x, y = image_to_tensor(original), image_to_tensor(normalized)
            if size != (height, width):
                x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
                y = F.interpolate(y, size=size, mode="bilinear", align_corners=False, antialias=True)
            heat = resize_map(self.distance_map(x, y), (height, width))
        return np.ascontiguousarray(heat[0, 0].numpy(), dtype=np.float32)
