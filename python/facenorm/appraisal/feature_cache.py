"""An HDF5 cache of normal faces' landmarks and canonical-crop embeddings, so that refitting the
anomaly model (other shrinkage, other score) re-reads features instead of rerunning the network.

Layout (one file): faces/path, faces/age_group ('' for unknown), faces/fallback (found by the
tight-crop fallback), faces/landmarks (N, 68, 2); features/<backbone>/padim_g27_c<C>_s<seed>
(N, 2, C, 27, 27) float16, index 1 the mirrored crop's; skipped/path and skipped/reason. The
file attribute `done` counts committed faces: a killed run resumes after the last committed
batch, and every input ends as a face or a skip with its reason.
"""
import os
import sys

import h5py
import numpy as np

from .. import _core
from ..data.hdf5_files import open_hdf5
from ..data.writer_lock import WriterLock
from .alignment import align
from .anomaly_map import face_mask
from .features import GRID, Embedder
from .normal_faces import FaceFinder

__all__ = ["build_feature_cache", "append_committed"]

_STR = h5py.string_dtype()


def _append(group_or_file, name, values, dtype=None):
    values = np.asarray(values, dtype=dtype) if dtype is not _STR else np.asarray(values, dtype=object)
    if name not in group_or_file:
        shape = (0,) + values.shape[1:]
        group_or_file.create_dataset(name, shape=shape, maxshape=(None,) + values.shape[1:],
                                     dtype=dtype or values.dtype, chunks=(max(1, min(64, len(values) or 1)),) + values.shape[1:])
    ds = group_or_file[name]
    n = ds.shape[0]
    ds.resize(n + len(values), axis=0)
    if len(values):
        ds[n:] = values


def _truncate(f, n_faces, n_skipped):
    """Drop rows past the last commit (a batch a killed run half-wrote)."""
    for name in ("faces/path", "faces/age_group", "faces/fallback", "faces/landmarks"):
        if name in f and f[name].shape[0] > n_faces:
            f[name].resize(n_faces, axis=0)
    for name in list(_feature_names(f)):
        if f[name].shape[0] > n_faces:
            f[name].resize(n_faces, axis=0)
    for name in ("skipped/path", "skipped/reason"):
        if name in f and f[name].shape[0] > n_skipped:
            f[name].resize(n_skipped, axis=0)


def _feature_names(f):
    names = []
    if "features" in f:
        f["features"].visit(lambda n: names.append("features/" + n) if isinstance(f["features/" + n], h5py.Dataset) else None)
    return names


def build_feature_cache(path, files, embedder: Embedder, batch: int = 16, progress: bool = True,
                        client=None, shard_size=None, after_batch=None) -> dict:
    """Landmarks and embeddings of `files` [(path, age group or None)] into the cache at `path`,
    resuming where a previous run of the same file list stopped. client: a dask.distributed
    Client to compute the rest in shards on (feature_cache_cluster.py); after_batch(path, done):
    a test hook called after each committed batch."""
    key = "features/" + embedder.key
    lock = WriterLock(path)
    try:
        if not os.path.exists(path):
            h5py.File(path, "w").close()
        with open_hdf5(path, "a") as f:
            start = _open_for(f, path, files, embedder, key)
            if client is not None:
                from .feature_cache_cluster import fill_on_cluster
                fill_on_cluster(f, path, files[start:], embedder, client, shard_size, progress, after_batch)
                return _summary(f, path)
            return _fill(f, path, files, embedder, FaceFinder(), key, batch, progress, start, after_batch)
    finally:
        lock.release()


def _open_for(f, path, files, embedder, key) -> int:
    """Checks the cache was made for this file list and embedding, drops a half-written batch;
    returns how many inputs are done."""
    if "files" in f.attrs and f.attrs["files"] != len(files):
        raise _core.DatasetError(f"{path}: made for {f.attrs['files']} input files, now {len(files)}; "
                                 "use a new cache file for another file list")
    f.attrs["files"] = len(files)
    f.attrs.setdefault("done", 0)
    f.attrs.setdefault("faces", 0)
    f.attrs.setdefault("skipped", 0)
    if "done" in f.attrs and f.attrs["done"] > 0 and key not in f:
        raise _core.DatasetError(f"{path}: holds faces without {key}; use a new cache file for new features")
    _truncate(f, int(f.attrs["faces"]), int(f.attrs["skipped"]))
    f.attrs["embedding"] = embedder.key
    return int(f.attrs["done"])


def append_committed(f, rows: dict, skips: list, inputs_done: int) -> None:
    """Append faces {path, age_group, fallback, landmarks, <feature key>: arrays} and skips
    [(path, reason)], then commit: the counts move only after the rows are written."""
    if len(rows.get("faces/path", ())):
        for name in ("faces/path", "faces/age_group"):
            _append(f, name, list(rows[name]), _STR)
        _append(f, "faces/fallback", rows["faces/fallback"], np.bool_)
        _append(f, "faces/landmarks", rows["faces/landmarks"], np.float32)
        for name, values in rows.items():
            if name.startswith("features/"):
                _append(f, name, values, np.float16)
    if skips:
        _append(f, "skipped/path", [s[0] for s in skips], _STR)
        _append(f, "skipped/reason", [s[1] for s in skips], _STR)
    f.flush()
    f.attrs["faces"] = int(f.attrs["faces"]) + len(rows.get("faces/path", ()))
    f.attrs["skipped"] = int(f.attrs["skipped"]) + len(skips)
    f.attrs["done"] = int(f.attrs["done"]) + inputs_done
    f.flush()


def _summary(f, path) -> dict:
    return {"cache": os.fspath(path), "faces": int(f.attrs["faces"]), "skipped": int(f.attrs["skipped"]),
            "fallback": int(np.sum(f["faces/fallback"][:])) if "faces/fallback" in f else 0}


def _fill(f, path, files, embedder, finder, key, batch, progress, start, after_batch=None) -> dict:
    from tqdm import tqdm

    with tqdm(total=len(files), initial=start, desc="normal faces", unit="face", file=sys.stderr,
              disable=not progress) as bar:
        for lo in range(start, len(files), batch):
            chunk = files[lo:lo + batch]
            rows, crops, faces, skips = [], [], [], []
            for source, group in chunk:
                try:
                    image = _core.read_image(source)
                    landmarks, fallback = finder.landmarks(image)
                    aligned = align(image, landmarks)
                    face = face_mask(aligned.landmarks)
                except _core.FacenormError as e:
                    skips.append((source, f"{type(e).__name__}: {e}"))
                    continue
                rows.append((source, group or "", fallback, landmarks))
                crops += [aligned.image, aligned.image[:, ::-1]]
                faces += [face, face[:, ::-1]]
            block = {}
            if rows:
                emb = embedder(np.stack(crops), np.stack(faces)).astype(np.float16)
                block = {"faces/path": [r[0] for r in rows], "faces/age_group": [r[1] for r in rows],
                         "faces/fallback": [r[2] for r in rows], "faces/landmarks": np.stack([r[3] for r in rows]),
                         key: emb.reshape(len(rows), 2, embedder.channels, GRID, GRID)}
            append_committed(f, block, skips, len(chunk))
            if after_batch is not None:
                after_batch(os.fspath(path), int(f.attrs["done"]))
            bar.update(len(chunk))
    return _summary(f, path)
