"""What a lip classifier trains and evaluates on, per record of a pairs file: the crops resized
to the backbone's input side (uint8 (N, S, S, 3)), or, when the backbone has a frozen prefix,
that prefix's outputs cached once in the pairs file (`features/<backbone>/<layer>`, float16
(N, 2, C, h, w); [:, 1] is of the mirrored crop, for the mirror augmentation) so that repeated
runs and ablations compute only the trainable part.
"""
import sys

import numpy as np

from .network import NetworkSettings, resize_crops

__all__ = ["BRANCHES", "CHUNK", "cache_key", "ensure_cached_features", "uses_cache", "network_inputs"]

BRANCHES = ("original", "normalized")
CHUNK = 64


def cache_key(net, settings: NetworkSettings, branch: str) -> tuple:
    """(backbone, layer) names of the cache and the attributes that identify what made it."""
    s = settings.resolved()
    layer = f"block{net.cache_block}_side{s.input_side}_{branch}"
    attrs = {"backbone": s.backbone, "weights": s.pretrained_source(), "input_side": s.input_side,
             "cache_block": int(net.cache_block), "branch": branch,
             "layout": "(N, 2, C, h, w): [:, 0] the crop, [:, 1] the mirrored crop"}
    return s.backbone, layer, attrs


def _read_crops(pairs, branch: str, indices) -> np.ndarray:
    return pairs.original(indices) if branch == "original" else pairs.normalized(indices)


def _feature_chunks(pairs, net, branch: str, side: int, bar):
    import torch

    from .. import nets

    for start in range(0, len(pairs), CHUNK):
        index = np.arange(start, min(len(pairs), start + CHUNK))
        crops = torch.from_numpy(resize_crops(_read_crops(pairs, branch, index), side))
        plain = nets.lip_cache_features(net, crops, False)
        mirrored = nets.lip_cache_features(net, crops, True)
        bar.update(len(index))
        yield torch.stack([plain, mirrored], 1).numpy()


def ensure_cached_features(pairs, net, settings: NetworkSettings, progress: bool = True) -> list:
    """Computes and stores the caches this network needs that the file lacks; returns their names."""
    from tqdm import tqdm

    made = []
    branches = BRANCHES[:net.branches]
    for branch in branches:
        backbone, layer, attrs = cache_key(net, settings, branch)
        if pairs.has_features(backbone, layer, attrs):
            continue
        with tqdm(total=len(pairs), unit="crop", desc=f"features {layer}", file=sys.stderr,
                  disable=not progress) as bar:
            pairs.store_features(backbone, layer, _feature_chunks(pairs, net, branch, settings.resolved().input_side,
                                                                  bar), attrs)
        made.append(f"features/{backbone}/{layer}")
    return made


def uses_cache(net, use_cache: bool) -> bool:
    return bool(use_cache) and net.cache_block > 0


def network_inputs(pairs, net, settings: NetworkSettings, indices, use_cache: bool = True) -> list:
    """torch tensors for the records `indices`, one per branch: cached features when the network
    has a frozen prefix and use_cache (ensure_cached_features first), else resized crops."""
    import torch

    out = []
    for branch in BRANCHES[:net.branches]:
        if uses_cache(net, use_cache):
            backbone, layer, attrs = cache_key(net, settings, branch)
            out.append(torch.from_numpy(pairs.read_features(backbone, layer, indices, attrs)))
        else:
            out.append(torch.from_numpy(resize_crops(_read_crops(pairs, branch, indices),
                                                     settings.resolved().input_side)))
    return out
