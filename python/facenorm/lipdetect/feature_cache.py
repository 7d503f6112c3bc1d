"""Deep features cached inside a pairs file: `features/<backbone>/<layer>`, float16 (N, ...).

A cache is written under a temporary name and moved into place only when every record has its
row, so a killed write never leaves a cache that looks complete; the settings that made it
(weights, input size, ...) are stored as its attributes and compared on read, so a cache made
by other weights or settings is never used by mistake.
"""
import json
import re

import h5py
import numpy as np

from .._core import DatasetError, InputError
from ..normalize.batch_job import json_friendly

__all__ = ["FEATURES_GROUP", "PARTIAL_SUFFIX", "NAME_PATTERN", "feature_name", "settings_json", "cache_state",
           "write_features", "feature_dataset"]

FEATURES_GROUP = "features"
PARTIAL_SUFFIX = ".partial"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")


def feature_name(backbone: str, layer: str) -> str:
    for what, name in (("backbone", backbone), ("layer", layer)):
        if not isinstance(name, str) or not NAME_PATTERN.match(name) or name.endswith(PARTIAL_SUFFIX):
            raise InputError(f"{what}: expected a name of letters, digits, '_', '.', '+' or '-' (not ending in "
                             f"'{PARTIAL_SUFFIX}'), got {name!r}")
    return f"{FEATURES_GROUP}/{backbone}/{layer}"


def settings_json(attrs: dict) -> str:
    """The canonical text two attribute dicts are compared by."""
    if not isinstance(attrs, dict):
        raise InputError(f"attrs: expected a dict of the settings that made the features, got {type(attrs).__name__}")
    return json.dumps(json_friendly(attrs), sort_keys=True)


def _differences(stored: str, wanted: str) -> str:
    old, new = json.loads(stored or "{}"), json.loads(wanted)
    keys = sorted(set(old) | set(new))
    return "; ".join(f"{k}: cache has {old.get(k)!r}, expected {new.get(k)!r}"
                     for k in keys if old.get(k) != new.get(k))


def cache_state(h5: h5py.File, n_records: int, backbone: str, layer: str, attrs: dict) -> str:
    """Why the cache cannot be used (missing, stale, other settings); "" when it can."""
    name = feature_name(backbone, layer)
    if name not in h5:
        return f"no features at '{name}'"
    ds = h5[name]
    if ds.shape[0] != n_records:
        return f"'{name}' has {ds.shape[0]} rows but the file has {n_records} records (made before records were added)"
    differences = _differences(str(ds.attrs.get("settings", "")), settings_json(attrs))
    return f"'{name}' was made with other settings ({differences})" if differences else ""


def _rows(chunks):
    """The caller's features as a sequence of (k, ...) arrays: one array, or an iterator of them."""
    if isinstance(chunks, np.ndarray) or (hasattr(chunks, "__array__") and not hasattr(chunks, "__next__")):
        yield np.asarray(chunks)
        return
    for chunk in chunks:
        yield np.asarray(chunk)


def write_features(h5: h5py.File, n_records: int, backbone: str, layer: str, chunks, attrs: dict) -> dict:
    """Write every record's features under a temporary name, then move them into place."""
    name = feature_name(backbone, layer)
    settings = settings_json(attrs)
    partial = name + PARTIAL_SUFFIX
    if partial in h5:  # left by a killed write: never complete, never read
        del h5[partial]
    ds, filled = None, 0
    try:
        for chunk in _rows(chunks):
            if chunk.ndim < 1 or chunk.dtype.kind not in "biuf":
                raise InputError(f"features: expected real-valued arrays of shape (k, ...), got "
                                 f"{chunk.dtype} {chunk.shape}")
            if ds is None:
                ds = h5.create_dataset(partial, shape=(n_records,) + chunk.shape[1:], dtype=np.float16,
                                       chunks=(1,) + chunk.shape[1:])
            if chunk.shape[1:] != ds.shape[1:]:
                raise InputError(f"features: every chunk must have rows of shape {ds.shape[1:]}, got {chunk.shape[1:]}")
            if filled + len(chunk) > n_records:
                raise InputError(f"features: more rows than the file's {n_records} records")
            with np.errstate(over="ignore"):  # checked just below
                half = chunk.astype(np.float16)
            if not np.isfinite(half).all() and np.isfinite(chunk).all():
                raise InputError("features: values beyond float16's range (±65504); scale them before storing")
            ds[filled:filled + len(chunk)] = half
            filled += len(chunk)
        if filled != n_records:
            raise InputError(f"features: got {filled} rows; expected one per record ({n_records})")
        ds.attrs["settings"] = settings
        for key, value in json.loads(settings).items():
            ds.attrs[f"setting:{key}"] = value if isinstance(value, (str, int, float, bool)) else json.dumps(value)
        ds.attrs["layout"] = "float16 (N, ...), row i = record i; one record per chunk"
        h5.flush()
        if name in h5:
            del h5[name]
        h5.move(partial, name)
        h5.flush()
    except BaseException:
        if partial in h5:
            del h5[partial]
        raise
    return {"name": name, "shape": list(h5[name].shape), "dtype": "float16"}


def feature_dataset(h5: h5py.File, path: str, n_records: int, backbone: str, layer: str, attrs=None) -> h5py.Dataset:
    """The cache's dataset; DatasetError naming what is wrong when it is missing, stale, or
    (with attrs) made with other settings."""
    name = feature_name(backbone, layer)
    if attrs is not None:
        why = cache_state(h5, n_records, backbone, layer, attrs)
    elif name not in h5:
        why = f"no features at '{name}'"
    else:
        why = "" if h5[name].shape[0] == n_records else f"'{name}' does not have one row per record"
    if why:
        raise DatasetError(f"{path}: {why}; compute them and store them with store_features first")
    return h5[name]
