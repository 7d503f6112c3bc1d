"""`facenorm score --dataset FILE.h5`: every record of a dataset scored against its parent record.

Pairs: a record of FILE (e.g. a synth copy, or a normalize-stage output) and the record its
parent_id names in the parent file (--reference-dataset, default the `source` in FILE's params).
The region mask comes from FILE's landmarks. Results go into FILE under scores/<key>/ (score,
mean_error_score, pixels, normality: float64 (N,), error: why a record has no score) and with
--store-heatmaps heatmaps/<key> (float16 (N, H, W), channels summed). A record's score is written
last, after its heatmap, so NaN marks "not done" and a killed job resumes where it stopped.
"""
import json
import os
import sys
import time

import h5py
import numpy as np

from .. import _core
from ..data.dataset import Dataset
from ..data.hdf5_files import dataset_errors, open_hdf5
from ..data.schema import check_schema
from .calibration import calibration_key, default_calibration
from .heatmaps import heatmap_plane, parse_method
from .pair_score import score_pair

__all__ = ["SCORE_FIELDS", "result_key", "score_dataset", "score_record", "commit_score", "summary"]

SCORE_FIELDS = ("score", "mean_error_score", "pixels", "normality")


def result_key(method: str, colour: str, erosion: int, region: str, soft_sigma: float = 0.0) -> str:
    kind, _ = parse_method(method)
    key = f"{kind}_{colour}_e{int(erosion)}_{region}"
    return key + (f"_soft{soft_sigma:g}" if soft_sigma else "")


def _parent_path(h5, path, reference_dataset):
    if reference_dataset:
        return os.path.abspath(reference_dataset)
    source = json.loads(h5.attrs.get("params", "{}")).get("source")
    if not source:
        raise _core.InputError(f"{path}: its params name no source dataset; pass --reference-dataset PARENT.h5")
    return source


def _result_group(h5, key, n, image_shape, store_heatmaps, attrs):
    group = h5.require_group(f"scores/{key}")
    stored = {k: group.attrs[k] for k in attrs if k in group.attrs}
    if stored and stored != attrs:
        raise _core.DatasetError(f"scores/{key} exists with other settings {stored}; expected {attrs}")
    group.attrs.update(attrs)
    for name in SCORE_FIELDS:
        if name not in group:
            group.create_dataset(name, shape=(n,), maxshape=(None,), dtype=np.float64, fillvalue=np.nan)
        elif group[name].shape[0] < n:  # records appended since the last run
            group[name].resize((n,))
            group[name][group[name].shape[0]:] = np.nan
    if "error" not in group:
        group.create_dataset("error", shape=(n,), maxshape=(None,), dtype=h5py.string_dtype())
    elif group["error"].shape[0] < n:
        group["error"].resize((n,))
    heat, created = None, False
    if store_heatmaps:
        name = f"heatmaps/{key}"
        created = name not in h5
        if created:
            h5.create_dataset(name, shape=(n,) + tuple(image_shape), maxshape=(None,) + tuple(image_shape),
                              dtype=np.float16, chunks=(1,) + tuple(image_shape), compression="gzip",
                              compression_opts=4)
        heat = h5[name]
        if heat.shape[0] < n:
            heat.resize((n,) + tuple(image_shape))
    return group, heat, created


def score_dataset(path, reference_dataset=None, region="mouth_nose", method="pse", colour="ycbcr", erosion=3,
                  soft_sigma=0.0, store_heatmaps=False, progress=True, scheduler=None, workers=None, shard_size=None,
                  client=None, after_record=None) -> dict:
    """Scores every record of `path` against its parent; returns the summary JSON of the CLI.

    scheduler / workers / client: score on a dask cluster in shards of `shard_size` records
    (facenorm/score/batch_cluster.py, docs/cluster.md); the same columns as the threaded job."""
    started = time.perf_counter()
    path = os.path.abspath(os.fspath(path))
    settings = {"reference_dataset": reference_dataset, "region": region, "method": method, "colour": colour,
                "erosion": erosion, "soft_sigma": soft_sigma}
    if scheduler or workers is not None or client is not None:
        from .batch_cluster import score_dataset_on_cluster

        return score_dataset_on_cluster(path, settings, store_heatmaps, progress, scheduler, workers, shard_size,
                                        client, after_record, started)
    with open_hdf5(path, "r+") as h5:
        job = _open_job(h5, path, settings, store_heatmaps)
        with Dataset.open(job.parent_path) as parent, _bar(job, progress) as bar:
            calibration, scored = default_calibration(), 0
            for i in job.todo:
                error, result = score_record(job.data, parent, job.parent_path, i, job.settings, calibration)
                commit_score(job.group, job.heat, i, error, result)
                h5.flush()
                scored += not error
                bar.update(1)
        return summary(job, job.group["score"][:job.n], scored, started)


class _Job:
    """The open scores of one `score --dataset` job: FILE's records, the result group, what is left."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _open_job(h5, path, settings: dict, store_heatmaps: bool) -> _Job:
    """Check FILE (open r+), create or check scores/<key> (and heatmaps/<key>); the records to do."""
    with dataset_errors(path, "reading the schema"):
        check_schema(h5, path)
    data = Dataset(h5, path)
    parent_path = _parent_path(h5, path, settings["reference_dataset"])
    method, colour, erosion, region = settings["method"], settings["colour"], settings["erosion"], settings["region"]
    soft_sigma = settings["soft_sigma"]
    key = result_key(method, colour, erosion, region, soft_sigma)
    attrs = {"method": method, "colour": colour, "erosion": int(erosion), "region": region,
             "soft_sigma": float(soft_sigma), "reference_dataset": parent_path, "normalizer": "reference",
             "calibration_key": calibration_key("reference", parse_method(method)[0], colour, erosion, region)}
    n = len(data)
    with dataset_errors(path, "preparing scores"):
        group, heat, heat_created = _result_group(h5, key, n, data.image_shape, store_heatmaps, attrs)
        done = ~np.isnan(group["score"][:n])
        if heat_created:  # records scored earlier without heatmaps are redone to store them
            done[:] = False
    scoring = {k: settings[k] for k in ("region", "method", "colour", "erosion", "soft_sigma")}
    return _Job(path=path, data=data, parent_path=parent_path, key=key, n=n, group=group, heat=heat,
                todo=[i for i in range(n) if not done[i]], settings=scoring, image_shape=tuple(data.image_shape))


def _bar(job, progress):
    from tqdm import tqdm

    return tqdm(total=job.n, initial=job.n - len(job.todo), unit="pair", desc="score", file=sys.stderr,
                disable=not progress)


def score_record(data, parent, parent_path, i, settings: dict, calibration) -> tuple:
    """(error, result) of record i of `data` against its parent: ("", PairScore) or ("Type: why", None)."""
    sample = data[i]
    pid = int(sample.record["parent_id"])
    try:
        if not 0 <= pid < len(parent):
            raise _core.InputError(f"record {i}: parent_id {pid} is not a record of {parent_path} "
                                   f"({len(parent)} records)")
        reference = parent.image(pid)
        return "", score_pair(sample.image, reference, sample.landmarks, calibration=calibration, **settings)
    except _core.FacenormError as e:
        return f"{type(e).__name__}: {e}", None


def commit_score(group, heat, i, error: str, result, heatmap=None) -> None:
    """Write row i of a result group: the error alone, or the heatmap and the fields with the score
    last (the commit marker). heatmap: the stored float16 plane, when copied from a shard."""
    if error:
        group["error"][i] = error
        return
    if heat is not None:
        heat[i] = heatmap if heatmap is not None else heatmap_plane(result.heatmap).astype(np.float16)
    group["error"][i] = ""
    for name in ("pixels", "mean_error_score", "normality", "score"):  # the score last: the commit marker
        group[name][i] = _field(result, name)


def _field(result, name):
    """A field of a PairScore (None: NaN) or of a shard's row (a dict)."""
    value = result[name] if isinstance(result, dict) else getattr(result, name)
    return np.nan if value is None else value


def summary(job, scores, scored: int, started) -> dict:
    finite = scores[~np.isnan(scores)]
    return {"dataset": job.path, "reference_dataset": job.parent_path, "key": f"scores/{job.key}", "records": job.n,
            "scored": scored, "failed": len(job.todo) - scored, "resumed_from": job.n - len(job.todo),
            "mean_score": round(float(finite.mean()), 6) if finite.size else None,
            "seconds": round(time.perf_counter() - started, 3)}
