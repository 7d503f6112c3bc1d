"""`facenorm score --dataset FILE.h5 --scheduler ADDRESS | --workers N`: the scoring job on a
dask.distributed cluster (docs/cluster.md).

The threaded job writes its score columns into FILE itself, opened r+, which HDF5's file locking
keeps every other process from reading meanwhile. Here the driver opens FILE r+ only to create (or
check) scores/<key> and to find the records left, then closes it; every task opens FILE and the
parent file read-only, scores its shard of records and writes the rows into its own shard file
(`FILE.h5.shards/shard-NNNNN-<hash>.h5`); once all tasks are done the driver reopens FILE r+ and
writes the rows into the columns, in record order, with the threaded job's commit order (the score
last), so the columns are the threaded job's. A shard file commits a row by its `done` flag,
written last: a task rerun after its worker was killed keeps the committed rows and redoes the
rest; a shard of another job (other keys or settings) or one HDF5 cannot open is redone from
scratch; a live writer of the same shard (its flock) makes the rerun fail and be retried.
"""
import json
import os

import h5py
import numpy as np

from .. import _core
from ..data.dataset import Dataset
from ..data.hdf5_files import open_hdf5
from ..data.writer_lock import WriterLock
from .batch import SCORE_FIELDS, _bar, _open_job, commit_score, score_record, summary
from .calibration import default_calibration

__all__ = ["score_shard", "score_dataset_on_cluster"]


def _key_index(key: str) -> int:
    return int(key.rsplit("#", 1)[1])


def _open_shard_file(path: str, params: str, n: int, image_shape, heatmaps: bool) -> h5py.File:
    """The shard's file: the partial one a killed task left when it is this shard's, else a new one."""
    if os.path.exists(path):
        try:
            h5 = h5py.File(path, "r+")
        except OSError:
            h5 = None  # broken by the kill (HDF5 was writing its metadata)
        if h5 is not None:
            if h5.attrs.get("params") == params:
                return h5
            h5.close()
        os.remove(path)
    h5 = h5py.File(path, "w")
    h5.attrs["params"] = params
    for name in SCORE_FIELDS:
        h5.create_dataset(name, shape=(n,), dtype=np.float64, fillvalue=np.nan)
    h5.create_dataset("error", shape=(n,), dtype=h5py.string_dtype())
    h5.create_dataset("done", shape=(n,), dtype=np.uint8)
    if heatmaps:
        h5.create_dataset("heatmap", shape=(n,) + tuple(image_shape), dtype=np.float16,
                          chunks=(1,) + tuple(image_shape), compression="gzip", compression_opts=4)
    h5.flush()
    return h5


def _shard_params(keys, dataset, parent_path, settings, heatmaps) -> str:
    return json.dumps({"dataset": dataset, "reference_dataset": parent_path, "settings": settings,
                       "heatmaps": bool(heatmaps), "keys": list(keys)}, sort_keys=True)


def score_shard(path: str, keys: list, dataset: str, parent_path: str, settings: dict, heatmaps: bool,
                after_record=None) -> str:
    """A dask task: the score rows of `keys` ("<FILE>#<i>") in the shard file `path`, FILE and its
    parent read-only. after_record(path, committed) is a test hook called after every commit."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lock = WriterLock(path)  # a live writer of this shard: DatasetError, the task is retried
    try:
        with Dataset.open(dataset) as data, Dataset.open(parent_path) as parent:
            h5 = _open_shard_file(path, _shard_params(keys, dataset, parent_path, settings, heatmaps), len(keys),
                                  data.image_shape, heatmaps)
            with h5:
                done = h5["done"][:]
                calibration = default_calibration()
                heat = h5["heatmap"] if heatmaps else None
                for j, key in enumerate(keys):
                    if done[j]:
                        continue
                    error, result = score_record(data, parent, parent_path, _key_index(key), settings, calibration)
                    commit_score(h5, heat, j, error, result)
                    h5["done"][j] = 1  # last: the row is committed
                    h5.flush()
                    if after_record is not None:
                        after_record(path, int(h5["done"][:].sum()))
    finally:
        lock.release()
    return path


def _merge_shard(job, path: str, keys: list) -> int:
    """Write a finished shard's rows into FILE's columns, in record order; returns the rows scored."""
    with open_hdf5(path, "r") as h5:
        if h5["done"].shape[0] != len(keys) or not h5["done"][:].all():
            raise _core.DatasetError(f"{path}: expected all {len(keys)} rows of the shard committed")
        fields = {name: h5[name][:] for name in SCORE_FIELDS}
        errors = [e.decode("utf-8") if isinstance(e, bytes) else e for e in h5["error"][:]]
        scored = 0
        for j, key in enumerate(keys):
            plane = h5["heatmap"][j] if job.heat is not None and not errors[j] else None
            row = {name: fields[name][j] for name in SCORE_FIELDS}
            commit_score(job.group, job.heat, _key_index(key), errors[j], row, heatmap=plane)
            scored += not errors[j]
    return scored


def score_dataset_on_cluster(path, settings, store_heatmaps, progress, scheduler, workers, shard_size, client,
                             after_record, started) -> dict:
    from contextlib import nullcontext

    from ..data.shards import cluster_client, cluster_threads, plan_shards, remove_shards

    with (nullcontext(client) if client is not None else cluster_client(scheduler, workers)) as client:
        threads = cluster_threads(client)
        with open_hdf5(path, "r+") as h5:  # create/check scores/<key>; closed while the tasks read FILE
            job = _open_job(h5, path, settings, store_heatmaps)
            todo, parent_path, scoring, n_before = job.todo, job.parent_path, job.settings, job.n
        keys = [f"{path}#{i}" for i in todo]
        plan = plan_shards(path, keys, shard_size or max(1, min(64, -(-len(keys) // (4 * threads)))))
        futures = [client.submit(score_shard, shard, part, path, parent_path, scoring, bool(store_heatmaps),
                                 after_record, key=f"facenorm-score-{os.path.basename(shard)}", pure=False,
                                 retries=2) for shard, part in plan]
        try:
            with _bar(job, progress) as bar:
                for future, (_, part) in zip(futures, plan):
                    future.result()
                    bar.update(len(part))
        finally:
            for future in futures:
                future.cancel()
        with open_hdf5(path, "r+") as h5:
            job = _open_job(h5, path, settings, store_heatmaps)
            if job.n != n_before:
                raise _core.DatasetError(f"{path}: records were added while the tasks scored it; rerun the command")
            job.todo = todo
            scored = 0
            for shard, part in plan:
                scored += _merge_shard(job, shard, part)
                h5.flush()
            result = summary(job, job.group["score"][:job.n], scored, started)
        remove_shards(path)
        return {**result, "threads": threads, "workers": len(client.scheduler_info()["workers"]),
                "shards": len(plan)}
