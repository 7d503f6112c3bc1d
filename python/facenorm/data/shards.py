"""Running an HDF5 batch job on a dask.distributed cluster (docs/cluster.md): shard files and
their merge.

The driver splits the inputs a job still has to do into shards of consecutive inputs; a dask
task computes one shard and writes it to its own shard file with the ordinary DatasetWriter
commit protocol; the driver then copies every shard, in input order, into the one output file
(the compressed image chunks are copied as they are, never recompressed). Hence:

* a shard file's name carries a hash of its inputs, and its `params` name them too, so a shard
  left by another run (other inputs, other arguments) is never mistaken for this one's;
* a task whose worker was killed is rerun by dask (on another worker); the rerun reopens the
  partial shard with DatasetWriter.open, which truncates a half-written record, and does only
  the inputs not yet committed; a shard file HDF5 cannot open any more is deleted and redone;
* the driver merges a shard only once it holds every one of its inputs exactly once (a record
  or a skip), and checks the same of the whole output at the end.
"""
import hashlib
import logging
import os
import shutil
from collections import Counter
from contextlib import contextmanager
from typing import Callable, Iterable, List, Optional

import h5py

from .._core import DatasetError, InputError
from .hdf5_files import open_hdf5
from .rows import record_from_row, skipped_from_row
from .schema import CROPS_GROUP, COLUMNS_GROUP, crop_dataset_name, column_dataset_name
from .writer import DatasetWriter, EncodedChunk, _stores_raw_chunks
from .writer_lock import WriterLock

__all__ = ["cluster_client", "cluster_threads", "plan_shards", "shard_folder", "open_shard", "shard_sources",
           "shard_params", "run_shards", "merge_shard", "check_exactly_once", "remove_shards", "validate_cluster_args"]


def validate_cluster_args(scheduler: Optional[str], workers: Optional[int]) -> None:
    if scheduler and workers:
        raise InputError("expected --scheduler ADDRESS or --workers N, not both")
    if workers is not None and workers < 1:
        raise InputError(f"workers: expected 1 or more, got {workers}")


@contextmanager
def cluster_client(scheduler: Optional[str] = None, workers: Optional[int] = None):
    """A dask.distributed Client: on the cluster at `scheduler` (e.g. tcp://host:8786), or on a
    LocalCluster of `workers` single-threaded worker processes that ends with the block."""
    validate_cluster_args(scheduler, workers)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--scheduler/--workers need dask.distributed (Debian: apt install python3-distributed; "
                         "scripts/install_deps.sh)") from None
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def cluster_threads(client) -> int:
    """Worker threads in the cluster: the tasks it runs at once."""
    return max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))


def shard_folder(out: str) -> str:
    return out + ".shards"


def plan_shards(out: str, sources: List[str], shard_size: int) -> list:
    """[(shard path, its inputs)] over consecutive runs of `sources`; the path names the inputs' hash."""
    if shard_size < 1:
        raise InputError(f"shard_size: expected 1 or more, got {shard_size}")
    plan = []
    for index, start in enumerate(range(0, len(sources), shard_size)):
        part = sources[start:start + shard_size]
        digest = hashlib.sha256("\n".join(part).encode("utf-8")).hexdigest()[:16]
        plan.append((os.path.join(shard_folder(out), f"shard-{index:05d}-{digest}.h5"), part))
    return plan


def open_shard(path: str, params: dict, create: Callable[[str], DatasetWriter]) -> DatasetWriter:
    """The writer of one shard: the partial shard a killed task left when it is this shard's
    (same params), else a new file (replacing a stale or unreadable one).

    A shard still locked by a live writer raises DatasetError (the task fails; dask retries it)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    WriterLock(path).release()  # refuse now if a live writer holds it; a killed one's lock is gone
    if os.path.exists(path):
        try:
            return DatasetWriter.reopen_for_job(path, params.get("stage", ""), params)
        except DatasetError:
            os.remove(path)  # stale (another run's) or broken by the kill: redo the shard from scratch
    return create(path)


def shard_sources(h5: h5py.File) -> Counter:
    """How many times each source is in a dataset's committed `records` and `skipped`."""
    counts = Counter()
    for name in ("records", "skipped"):
        table = h5[name]
        if table.shape[0]:
            counts.update(s.decode("utf-8") if isinstance(s, bytes) else s for s in table.fields("source")[:])
    return counts


def check_exactly_once(path: str, counts: Counter, expected: Iterable[str]) -> None:
    """DatasetError unless every expected input is in `counts` exactly once and nothing else is."""
    expected = list(expected)
    missing = [s for s in expected if counts[s] == 0]
    repeated = sorted(s for s, n in counts.items() if n > 1)
    extra = sorted(set(counts) - set(expected))
    if missing or repeated or extra:
        raise DatasetError(f"{path}: expected every input exactly once as a record or a skip; "
                           f"missing {len(missing)} {missing[:3]}, duplicated {len(repeated)} {repeated[:3]}, "
                           f"unexpected {len(extra)} {extra[:3]}")


def merge_shard(writer: DatasetWriter, path: str, sources: List[str]) -> tuple:
    """Append a finished shard's records and skips to `writer`, in the shard's order; returns
    (records, skips) appended. Refuses a shard that does not hold each of `sources` exactly once."""
    with open_hdf5(path, "r") as h5:
        check_exactly_once(path, shard_sources(h5), sources)
        n = h5["records"].shape[0]
        crops = sorted(h5[CROPS_GROUP]) if CROPS_GROUP in h5 else []
        columns = sorted(h5[COLUMNS_GROUP]) if COLUMNS_GROUP in h5 else []
        arrays = {name: h5[name][:n] for name in ("landmarks", "boxes", "pose")}
        arrays.update({c: h5[column_dataset_name(c)][:n] for c in columns})
        rows = h5["records"][:n]
        for i in range(n):
            record = record_from_row(rows[i])
            writer.append(record["source"], _chunk(h5["images"], i), arrays["landmarks"][i], arrays["boxes"][i],
                          arrays["pose"][i], crops={r: _chunk(h5[crop_dataset_name(r)], i) for r in crops},
                          subject_id=record["subject_id"], group=record["group"], age_group=record["age_group"],
                          split=record["split"], parent_id=record["parent_id"], params=record["params"],
                          columns={c: arrays[c][i] for c in columns})
        skipped = [skipped_from_row(row) for row in h5["skipped"][:]]
        for row in skipped:
            writer.append_skipped(row["source"], row["reason"], row["error_type"], row["message"])
    return n, skipped


def _chunk(ds: h5py.Dataset, i: int):
    """Record i as its stored gzip chunk (copied without recompressing) or, failing that, an array."""
    if _stores_raw_chunks(ds):
        _, data = ds.id.read_direct_chunk((i,) + (0,) * (ds.ndim - 1))
        return EncodedChunk(bytes(data), ds.shape[1:], ds.dtype)
    return ds[i]


def run_shards(client, writer: DatasetWriter, plan: list, task, *args, name: str, bar=None, after_record=None):
    """Submit task(path, inputs, *args, after_record) for every shard of `plan` and merge each, in
    order, into `writer` as it finishes; returns (records written, Counter of skip reasons).
    The shard's keys are its inputs: the task must leave each exactly once as a record or a skip."""
    written, reasons = 0, Counter()
    futures = [client.submit(task, path, part, *args, after_record, key=f"facenorm-{name}-{os.path.basename(path)}",
                             pure=False, retries=2) for path, part in plan]
    try:
        for future, (path, part) in zip(futures, plan):
            future.result()
            n, skips = merge_shard(writer, path, part)
            written += n
            reasons.update(s["reason"] for s in skips)
            if bar is not None:
                bar.update(len(part))
    finally:
        for future in futures:
            future.cancel()
    return written, reasons


def remove_shards(out: str) -> None:
    shutil.rmtree(shard_folder(out), ignore_errors=True)


def shard_params(params: dict, sources: List[str]) -> dict:
    """A shard's `params`: the job's, its `inputs` the shard's own (so a stale shard never matches)."""
    return {**params, "inputs": list(sources), "threads": 1, "shard": True}
