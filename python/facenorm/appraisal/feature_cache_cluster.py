"""The appraisal's feature cache (feature_cache.py) computed on a dask.distributed cluster
(docs/cluster.md): the inputs still to do are split into shards of consecutive files; a task
builds one shard's own cache file with the same resumable, batch-committed writer; the driver
appends each shard, in input order, to the one cache as it finishes, and commits after each.

A killed worker's task is rerun by dask: it reopens its partial shard (the writer drops the
half-written batch and resumes after the last committed one). A shard file that HDF5 cannot open
any more is deleted and redone. The driver appends a shard only when it accounts for every one of
its inputs exactly once (a face or a skip)."""
import os
import sys
from collections import Counter

from .. import _core
from ..data.hdf5_files import open_hdf5
from ..data.shards import cluster_threads, plan_shards, remove_shards
from ..data.writer_lock import WriterLock

__all__ = ["cache_shard", "fill_on_cluster"]

MAX_SHARD = 64


def _decoded(values) -> list:
    return [v.decode() if isinstance(v, bytes) else v for v in values]


def cache_shard(path: str, files: list, channels: int, seed: int, lighting: bool, after_batch=None) -> str:
    """Build (or finish) one shard's cache file; returns its path."""
    from .feature_cache import build_feature_cache
    from .features import Embedder

    embedder = Embedder(channels, seed, lighting)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    WriterLock(path).release()       # refuse now if a live writer holds it (dask retries); a killed one's is gone
    if os.path.exists(path):
        try:
            with open_hdf5(path, "r") as f:
                stale = f.attrs.get("embedding", embedder.key) != embedder.key
        except _core.FacenormError:
            stale = True             # broken by the kill
        if stale:
            os.remove(path)          # redo the shard from scratch
    build_feature_cache(path, files, embedder, progress=False, after_batch=after_batch)
    return path


def _shard_rows(path: str, key: str, files: list):
    """The shard's faces and skips, checked: every input exactly once."""
    with open_hdf5(path, "r") as f:
        n, k = int(f.attrs["faces"]), int(f.attrs["skipped"])
        rows = {}
        if n:
            rows = {"faces/path": _decoded(f["faces/path"][:n]), "faces/age_group": _decoded(f["faces/age_group"][:n]),
                    "faces/fallback": f["faces/fallback"][:n], "faces/landmarks": f["faces/landmarks"][:n],
                    key: f[key][:n]}
        skips = list(zip(_decoded(f["skipped/path"][:k]), _decoded(f["skipped/reason"][:k]))) if k else []
    seen = Counter(rows.get("faces/path", [])) + Counter(p for p, _ in skips)
    if seen != Counter(p for p, _ in files):
        raise _core.DatasetError(f"{path}: the shard does not hold each of its {len(files)} inputs exactly once")
    return rows, skips


def fill_on_cluster(f, path, files, embedder, client, shard_size=None, progress: bool = True, after_batch=None):
    """Append the features of `files` (the inputs not yet in the open cache `f`) computed on `client`."""
    from tqdm import tqdm

    if not files:
        return
    key = "features/" + embedder.key
    size = shard_size or max(1, min(MAX_SHARD, -(-len(files) // (4 * cluster_threads(client)))))
    by_path = {p: (p, g) for p, g in files}
    plan = plan_shards(os.fspath(path), [p for p, _ in files], size)
    futures = [client.submit(cache_shard, shard, [by_path[p] for p in part], embedder.channels, embedder.seed,
                             embedder.lighting, after_batch, key=f"facenorm-features-{os.path.basename(shard)}",
                             pure=False, retries=2) for shard, part in plan]
    try:
        with tqdm(total=len(files), desc="normal faces (cluster)", unit="face", file=sys.stderr,
                  disable=not progress) as bar:
            from .feature_cache import append_committed
            for future, (shard, part) in zip(futures, plan):
                future.result()
                rows, skips = _shard_rows(shard, key, [by_path[p] for p in part])
                append_committed(f, rows, skips, len(part))
                bar.update(len(part))
    finally:
        for future in futures:
            future.cancel()
    remove_shards(os.fspath(path))
    if int(f.attrs["done"]) != int(f.attrs["files"]):
        raise _core.DatasetError(f"{path}: {f.attrs['done']} of {f.attrs['files']} inputs done after the cluster job")
