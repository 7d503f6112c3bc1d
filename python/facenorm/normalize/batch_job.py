"""`facenorm normalize`: a prepared or synth dataset -> the same records, each face normalized.

Every output record derives from one input record (parent_id = its index in IN) and stores the
normalized image, the normalizer's landmarks (the input's when it does not know them), the
input's box and pose, subject/group/age group/split, and in `params` the normalizer's canonical
spec, the mean of `changed` and its `info`. When IN has region crops, the same crops (same
region, size and landmarks, hence the same geometry) are cut from the normalized image, so a
crop consumer can pair input and output crops pixel for pixel. Output sources are
"<input file>#<record>", so a killed job restarted with the same arguments skips what is there
and neither loses nor duplicates a record (the DatasetWriter commit protocol). A record the
normalizer refuses (InputError, NoFaceError) goes to `skipped` with reason "normalizer_refused".
"""
import math
import os
import sys
import time

import numpy as np

from .. import _core
from ..data.dataset import Dataset
from ..data.schema import CROPS_GROUP, DEFAULT_CROP_SIZE, crop_dataset_name
from ..data.writer import DatasetWriter
from .base import Normalizer
from .registry import get_normalizer

__all__ = ["STAGE", "REFUSED", "json_friendly", "crop_size", "normalize_shard", "run_normalize"]

STAGE = "normalize"
REFUSED = "normalizer_refused"


def json_friendly(value):
    """`info` as plain JSON: NumPy scalars and arrays become Python values, non-finite floats null,
    anything else unknown its str() (a diagnostic must never stop the job)."""
    if isinstance(value, dict):
        return {str(k): json_friendly(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_friendly(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_friendly(value.tolist())
    if isinstance(value, np.generic):
        return json_friendly(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def crop_size(h5) -> int:
    """The side of a file's region crops (all regions share it); the default when it has none."""
    regions = sorted(h5[CROPS_GROUP]) if CROPS_GROUP in h5 else []
    return int(h5[crop_dataset_name(regions[0])].shape[1]) if regions else DEFAULT_CROP_SIZE


def _open_output(out, params, data: Dataset) -> DatasetWriter:
    """Create `out` with IN's image shape and crops, or reopen it when the same job wrote it."""
    if not os.path.exists(out):
        return DatasetWriter.create(out, data.image_shape, crop_regions=data.crop_regions,
                                    crop_size=crop_size(data.h5), params=params, stage=STAGE)
    return DatasetWriter.reopen_for_job(out, STAGE, params)


def _crops(image, landmarks, regions, size: int) -> tuple:
    """The crops prepare cuts (facenorm.data.prepare_face), and their params (matrix, box)."""
    crops, params = {}, {}
    for region in regions:
        crop = _core.crop_region(image, landmarks, region, size=size)
        crops[region] = crop.image
        params[region] = {"matrix": [[float(v) for v in row] for row in np.asarray(crop.matrix)],
                          "box": [float(v) for v in crop.box]}
    return crops, params


def run_normalize(source, out, normalizer="none", progress: bool = True, scheduler=None, workers=None,
                  shard_size=None, client=None, after_record=None) -> dict:
    """Run the job; returns the summary `facenorm normalize --json` prints.

    normalizer: 'NAME[:key=value,...]' (or a Normalizer). Raises InputError for an unknown
    normalizer or bad options (before anything is written), DatasetError when `out` exists with
    other arguments; any other error of the normalizer propagates, with every record before it
    committed, so a rerun resumes there. scheduler / workers / client: run on a dask cluster in
    shards of `shard_size` records (docs/cluster.md); the same file as the threaded job.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    n = normalizer if isinstance(normalizer, Normalizer) else get_normalizer(normalizer)
    spec = repr(n)
    source, out = os.path.abspath(os.fspath(source)), os.path.abspath(os.fspath(out))
    params = {"stage": STAGE, "source": source, "normalizer": spec}
    if scheduler or workers is not None or client is not None:
        return _run_on_cluster(source, out, normalizer, spec, params,
                               progress, scheduler, workers, shard_size, client, after_record, started)
    with Dataset.open(source) as data, _open_output(out, params, data) as writer:
        done = writer.sources()
        todo = [i for i in range(len(data)) if f"{source}#{i}" not in done]
        resumed_from = len(data) - len(todo)
        with tqdm(total=len(data), initial=resumed_from, unit="img", desc="normalize", file=sys.stderr,
                  disable=not progress) as bar:
            written, skipped = _normalize_items(writer, data, todo, n, spec, source, lambda: bar.update(1))
    return _summary(out, written, skipped, resumed_from, spec, started)


def _summary(out, written, skipped, resumed_from, spec, started) -> dict:
    seconds = time.perf_counter() - started
    return {"out": out, "written": written, "skipped": skipped, "resumed_from": resumed_from,
            "normalizer": spec, "seconds": round(seconds, 3),
            "seconds_per_image": round(seconds / (written + skipped), 4) if written + skipped else None}


def _normalize_items(writer, data, items, n, spec: str, source: str, after_each=None) -> tuple:
    """Normalize the records `items` of `data` into `writer`, in order; (written, skipped)."""
    records, regions, side = data.records, writer.crop_regions, crop_size(writer.h5)
    written = skipped = 0
    for i in items:
        sample = data[i]
        try:
            result = n.normalize(sample.image, sample.landmarks)
        except (_core.InputError, _core.NoFaceError) as e:
            writer.append_skipped(f"{source}#{i}", REFUSED, type(e).__name__, str(e))
            skipped += 1
        else:
            landmarks = sample.landmarks if result.landmarks is None else result.landmarks
            # The input's landmarks: each output crop has its input crop's geometry.
            crops, crop_params = _crops(result.image, sample.landmarks, regions, side)
            record_params = {**json_friendly(dict(result.info or {})), "normalizer": spec,
                             "changed_fraction": float(np.mean(result.changed))}
            if crop_params:
                record_params["crops"] = crop_params
            record = records[i]
            writer.append(f"{source}#{i}", result.image, landmarks, sample.box, sample.pose, crops=crops,
                          subject_id=record["subject_id"], group=record["group"],
                          age_group=record["age_group"], split=record["split"], parent_id=i,
                          params=record_params)
            written += 1
        if after_each is not None:
            after_each()
    return written, skipped


_NORMALIZERS = {}  # per worker process: a normalizer (and its model) loads once, not once per shard


def normalize_shard(path: str, keys: list, source: str, normalizer, job: dict, after_record=None) -> str:
    """A dask task (docs/cluster.md): the normalized records of `keys` ("<source>#<i>") in the
    shard file `path`; a rerun after a killed worker resumes the partial shard."""
    from ..data.shards import open_shard, shard_params

    if isinstance(normalizer, str):
        if normalizer not in _NORMALIZERS:
            _NORMALIZERS[normalizer] = get_normalizer(normalizer)
        normalizer = _NORMALIZERS[normalizer]
    params = shard_params(job, keys)
    with Dataset.open(source) as data:
        def create(p):
            return DatasetWriter.create(p, data.image_shape, crop_regions=data.crop_regions,
                                        crop_size=crop_size(data.h5), params=params, stage=STAGE)

        with open_shard(path, params, create) as writer:
            done = writer.sources()
            items = [int(key.rsplit("#", 1)[1]) for key in keys if key not in done]
            hook = (lambda: after_record(path, len(writer) + writer.skipped_count())) if after_record else None
            _normalize_items(writer, data, items, normalizer, job["normalizer"], source, hook)
    return path


def _run_on_cluster(source, out, normalizer, spec, params, progress, scheduler, workers, shard_size, client,
                    after_record, started) -> dict:
    from contextlib import nullcontext

    from tqdm import tqdm

    from ..data.shards import (check_exactly_once, cluster_client, cluster_threads, plan_shards, remove_shards,
                               run_shards, shard_sources)

    with (nullcontext(client) if client is not None else cluster_client(scheduler, workers)) as client:
        threads = cluster_threads(client)
        with Dataset.open(source) as data, _open_output(out, params, data) as writer:
            keys = [f"{source}#{i}" for i in range(len(data))]
            done = writer.sources()
            todo = [key for key in keys if key not in done]
            plan = plan_shards(out, todo, shard_size or max(1, min(64, -(-len(todo) // (4 * threads)))))
            with tqdm(total=len(keys), initial=len(keys) - len(todo), unit="img", desc="normalize",
                      file=sys.stderr, disable=not progress) as bar:
                written, reasons = run_shards(client, writer, plan, normalize_shard, source, normalizer, params,
                                              name="normalize", bar=bar, after_record=after_record)
            check_exactly_once(out, shard_sources(writer.h5), keys)
        remove_shards(out)
        summary = _summary(out, written, sum(reasons.values()), len(keys) - len(todo), spec, started)
        return {**summary, "workers": len(client.scheduler_info()["workers"]), "shards": len(plan)}
