"""Fitting the PaDiM anomaly model from a feature cache (feature_cache.py): one pass for the
per-cell Gaussians over every face and its mirror, a second for the per-cell spread of the
fitting faces' own distances."""
import os
import sys
from collections import Counter

import numpy as np

from .._core import DatasetError
from ..data.hdf5_files import open_hdf5
from .anomaly_model import AnomalyModel
from .features import GRID, Embedder
from .padim import MomentAccumulator, pack_symmetric, unpack_symmetric

__all__ = ["CHUNK", "fit_anomaly_model"]

CHUNK = 256


def _cached_embeddings(f, key):
    if key not in f:
        raise DatasetError(f"{f.filename}: no {key}; build the cache with these embedding settings first")
    return f[key]


def fit_anomaly_model(cache_path, channels: int = 100, seed: int = 0, shrinkage: float = 0.05,
                      lighting: bool = True, progress: bool = True) -> AnomalyModel:
    from tqdm import tqdm

    embedder = Embedder(channels, seed, lighting)
    key = "features/" + embedder.key
    with open_hdf5(cache_path, "r") as f:
        data = _cached_embeddings(f, key)
        n = int(f.attrs.get("faces", data.shape[0]))
        groups = Counter(g.decode() if isinstance(g, bytes) else g for g in f["faces/age_group"][:n])
        fallback = int(np.sum(f["faces/fallback"][:n]))
        moments = MomentAccumulator(channels, GRID)
        for lo in tqdm(range(0, n, CHUNK), desc="gaussians", unit="chunk", file=sys.stderr, disable=not progress):
            block = data[lo:min(n, lo + CHUNK)].astype(np.float32)
            moments.add(block.reshape(-1, channels, GRID, GRID))
        mean, precision = moments.gaussians(shrinkage)
        # What the model will use: the float16-packed precision.
        precision = unpack_symmetric(pack_symmetric(precision).astype(np.float16).astype(np.float32), channels)
        settings = {"channels": channels, "seed": seed, "shrinkage": shrinkage, "lighting": lighting, "grid": GRID,
                    "embedding": embedder.key, "faces": n, "samples": moments.count,
                    "age_groups": {("unknown (CelebA)" if not k else k): v for k, v in sorted(groups.items())},
                    "tight_crop_fallback": fallback, "cache": os.path.basename(os.fspath(cache_path))}
        model = AnomalyModel(mean, precision, np.zeros((GRID, GRID)), np.ones((GRID, GRID)), settings)
        total = np.zeros((GRID, GRID))
        squares = np.zeros((GRID, GRID))
        for lo in tqdm(range(0, n, CHUNK), desc="distances", unit="chunk", file=sys.stderr, disable=not progress):
            block = data[lo:min(n, lo + CHUNK)].astype(np.float32).reshape(-1, channels, GRID, GRID)
            d = model.distances(block).astype(np.float64)
            total += d.sum(0)
            squares += (d ** 2).sum(0)
    count = moments.count
    cell_mean = total / count
    cell_std = np.sqrt(np.maximum(squares / count - cell_mean ** 2, 1e-12))
    model.cell_mean, model.cell_std = cell_mean.astype(np.float32), cell_std.astype(np.float32)
    return model
