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

__all__ = ["build_feature_cache"]

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


def build_feature_cache(path, files, embedder: Embedder, batch: int = 16, progress: bool = True) -> dict:
    """Landmarks and embeddings of `files` [(path, age group or None)] into the cache at `path`,
    resuming where a previous run of the same file list stopped."""
    key = "features/" + embedder.key
    finder = FaceFinder()
    lock = WriterLock(path)
    try:
        if not os.path.exists(path):
            h5py.File(path, "w").close()
        with open_hdf5(path, "a") as f:
            return _fill(f, path, files, embedder, finder, key, batch, progress)
    finally:
        lock.release()


def _fill(f, path, files, embedder, finder, key, batch, progress) -> dict:
    from tqdm import tqdm

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
    start = int(f.attrs["done"])
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
            if rows:
                emb = embedder(np.stack(crops), np.stack(faces)).astype(np.float16)
                emb = emb.reshape(len(rows), 2, embedder.channels, GRID, GRID)
                _append(f, "faces/path", [r[0] for r in rows], _STR)
                _append(f, "faces/age_group", [r[1] for r in rows], _STR)
                _append(f, "faces/fallback", [r[2] for r in rows], np.bool_)
                _append(f, "faces/landmarks", np.stack([r[3] for r in rows]), np.float32)
                _append(f, key, emb, np.float16)
            if skips:
                _append(f, "skipped/path", [s[0] for s in skips], _STR)
                _append(f, "skipped/reason", [s[1] for s in skips], _STR)
            f.flush()
            # The commit: counts move only after the batch's rows are written.
            f.attrs["faces"] = int(f.attrs["faces"]) + len(rows)
            f.attrs["skipped"] = int(f.attrs["skipped"]) + len(skips)
            f.attrs["done"] = lo + len(chunk)
            f.flush()
            bar.update(len(chunk))
    return {"cache": os.fspath(path), "faces": int(f.attrs["faces"]), "skipped": int(f.attrs["skipped"]),
            "fallback": int(np.sum(f["faces/fallback"][:])) if "faces/fallback" in f else 0}
