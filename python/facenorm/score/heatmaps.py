"""Anomaly heatmaps: where a face differs from its normalized version (PLOS ONE 2023, §1.3-1.5).

Methods (the rows of the paper's Table 1):
  pse    pixelwise squared error per channel (eq. 4) - the paper's choice and the default
  ssim   1 - SSIM per channel (Gaussian window 11, sigma 1.5)
  deep   LPIPS-like distance of unit-normalized features of dlib's ImageNet ResNet-34
         (imported into libtorch; no learned layer weights), one channel
  lpips:PATH  official LPIPS exported by the user as TorchScript (see lpips_torchscript.py)
Variants (its columns): colour "rgb" or "ycbcr" (eq. 3) and erosion 0 (off) or an odd size
(eq. 5, minimum filter, 3 in the paper). The default, pse + ycbcr + 3x3 erosion, is "+Both".
"""
from functools import lru_cache

import numpy as np

from .. import _core
from .._core import InputError

__all__ = ["METHODS", "COLOURS", "VARIANTS", "DEFAULT_METHOD", "DEFAULT_COLOUR", "DEFAULT_EROSION", "parse_method",
           "anomaly_heatmap", "heatmap_plane"]

METHODS = ("pse", "ssim", "deep")
COLOURS = ("rgb", "ycbcr")
# Table 1 columns: name -> (colour, erosion size)
VARIANTS = {"base": ("rgb", 0), "ycbcr": ("ycbcr", 0), "erosion": ("rgb", 3), "both": ("ycbcr", 3)}
DEFAULT_METHOD, DEFAULT_COLOUR, DEFAULT_EROSION = "pse", "ycbcr", 3


def parse_method(method: str) -> tuple:
    """'pse' | 'ssim' | 'deep' | 'lpips:PATH' -> (kind, path or None)."""
    if not isinstance(method, str):
        raise InputError(f"method: expected a string such as 'pse', got {type(method).__name__}")
    if method.startswith("lpips:"):
        path = method[len("lpips:"):]
        if not path:
            raise InputError("method: 'lpips:' needs the path of a TorchScript LPIPS file, e.g. lpips:alex.pt")
        return "lpips", path
    if method not in METHODS:
        raise InputError(f"method: expected one of {', '.join(METHODS)} or lpips:PATH, got '{method}'")
    return method, None


def _check_colour(colour: str) -> None:
    if colour not in COLOURS:
        raise InputError(f"colour: expected 'rgb' or 'ycbcr', got '{colour}'")


def _as_network_input(image: np.ndarray, colour: str) -> np.ndarray:
    """The deep methods see RGB, or for the +YCbCr ablation the YCbCr planes stored as if RGB
    (what feeding a YCbCr image to LPIPS amounts to in the paper)."""
    if colour == "rgb":
        return image
    return np.ascontiguousarray(np.clip(np.rint(_core.rgb_to_ycbcr(image)), 0, 255).astype(np.uint8))


@lru_cache(maxsize=4)
def _deep_model(max_side):
    from .deep_features import DeepFeatureDistance
    return DeepFeatureDistance(max_side=max_side)


@lru_cache(maxsize=4)
def _lpips_model(path: str):
    from .lpips_torchscript import TorchScriptLPIPS
    return TorchScriptLPIPS(path)


def anomaly_heatmap(original: np.ndarray, normalized: np.ndarray, method: str = DEFAULT_METHOD,
                    colour: str = DEFAULT_COLOUR, erosion: int = DEFAULT_EROSION,
                    deep_max_side=None) -> np.ndarray:
    """Heatmap of how `original` differs from its pixel-aligned `normalized` version.

    Both are RGB uint8 (H, W, 3) of one size. Returns float32 (H, W, 3) for pse/ssim (one plane
    per channel of the colour space) and (H, W) for deep/lpips; larger = more different.
    Score it with anomaly_score(heatmap, mask).
    """
    kind, path = parse_method(method)
    _check_colour(colour)
    if kind == "pse":
        return _core.pse_heatmap(original, normalized, colour=colour, erosion=erosion)
    if kind == "ssim":
        return _core.ssim_heatmap(original, normalized, colour=colour, erosion=erosion)
    if original.shape != normalized.shape:  # before a model loads, so the error names the inputs
        _core.pse_heatmap(original, normalized, colour="rgb", erosion=0)
    model = _deep_model(deep_max_side) if kind == "deep" else _lpips_model(path)
    heat = model.heatmap(_as_network_input(original, colour), _as_network_input(normalized, colour))
    heat = np.ascontiguousarray(heat, dtype=np.float32)
    return _core.erode_heatmap(heat, erosion) if erosion else heat


def heatmap_plane(heatmap: np.ndarray) -> np.ndarray:
    """One (H, W) plane for display: the channels summed (what the score sums too)."""
    return heatmap if heatmap.ndim == 2 else heatmap.sum(axis=2, dtype=np.float32)
