"""`facenorm evaluate`: a trained lip classifier on every subset of a pairs file (Table 1's
columns: mean cross-entropy and accuracy), with each record's p(abnormal)."""
import os
import time

import numpy as np

from .inputs import ensure_cached_features, network_inputs, uses_cache
from .model import LipModel
from .lip_pairs import LipPairs

__all__ = ["evaluate_lip_model"]


def evaluate_lip_model(model, pairs_path, subsets=None, use_cache: bool = True, progress: bool = True,
                       threshold: float = 0.5) -> dict:
    """{"subsets": {name: {"n","correct","accuracy","loss"}}, "p_abnormal": float64 (N,) per record,
    "labels": int64 (N,)}. model: a LipModel or its folder; subsets: names (default: all). Only
    the records of the subsets asked are run (the others' p_abnormal are NaN). threshold: a record
    is called abnormal when p >= threshold (0.5: the paper's tables; a model's own: model.threshold)."""
    import torch

    from .. import nets

    from ..nets import torch_threads

    started = time.perf_counter()
    model = model if isinstance(model, LipModel) else LipModel(model)
    net, network = model.net, model.network
    with torch_threads(model.threads or 2), LipPairs.open(os.path.abspath(os.fspath(pairs_path))) as pairs:
        available = pairs.subsets()
        names = list(available) if subsets is None else list(subsets)
        unknown = [s for s in names if s not in available]
        if unknown:
            from .._core import InputError
            raise InputError(f"subsets: {unknown} are not in {pairs_path}; it has {sorted(available)}")
        cache = uses_cache(net, use_cache)
        if cache:
            ensure_cached_features(pairs, net, network, progress)
        asked = np.unique(np.concatenate([available[name] for name in names] + [np.zeros(0, np.int64)]))
        inputs = network_inputs(pairs, net, network, asked, cache)
        y = pairs.labels.astype(np.int64)
        result = nets.evaluate_lip_classifier(net, inputs[0], inputs[1] if net.siamese else None,
                                               torch.from_numpy(y[asked]))
    p = np.full(len(y), np.nan)
    p[asked] = result["p_abnormal"].double().numpy()
    eps = 1e-12
    with np.errstate(invalid="ignore"):
        per_record_loss = -np.log(np.where(y == 1, p, 1 - p).clip(eps, 1))
    correct = (p >= threshold) == (y == 1)
    out = {}
    for name in names:
        idx = available[name]
        out[name] = {"n": int(len(idx)), "correct": int(correct[idx].sum()),
                     "accuracy": float(correct[idx].mean()) if len(idx) else float("nan"),
                     "loss": float(per_record_loss[idx].mean()) if len(idx) else float("nan")}
    return {"subsets": out, "p_abnormal": p, "labels": y, "seconds": round(time.perf_counter() - started, 2)}
