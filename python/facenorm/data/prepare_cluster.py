"""`facenorm prepare --scheduler ADDRESS | --workers N`: the prepare job on a dask.distributed
cluster. Each task computes one shard of consecutive inputs into its own shard file
(facenorm/data/shards.py); the driver merges the shards, in input order, into `out`, so the
file holds the same records, in the same order, as the threaded job's (docs/cluster.md)."""
import os
import time
from typing import Optional

from .._core import InputError, set_num_threads
from .inputs import collect_image_paths
from .landmark_files import find_sidecar_landmarks
from .prepare import STAGE, _progress_bar, job_params, open_for_resume
from .prepare_face import PreparedFace, PrepareOptions, prepare_face
from .shards import (check_exactly_once, cluster_client, cluster_threads, open_shard, plan_shards, remove_shards,
                     run_shards, shard_params, shard_sources)
from .writer import DatasetWriter

__all__ = ["prepare_shard", "prepare_dataset_on_cluster", "default_shard_size"]

_PIPELINES = {}  # per worker process: the detector and landmark models load once, not once per shard


def _pipeline(options: PrepareOptions):
    key = (options.detector, options.landmark_model, options.max_yaw, options.max_pitch)
    if key not in _PIPELINES:
        from ..pipeline import FacePipeline

        _PIPELINES[key] = FacePipeline(detector=options.detector, landmark_model=options.landmark_model,
                                       policy="largest", max_yaw=options.max_yaw, max_pitch=options.max_pitch)
    return _PIPELINES[key]


def prepare_shard(path: str, sources: list, options: PrepareOptions, job: dict, after_record=None) -> str:
    """A dask task: the records and skips of `sources`, in order, in the shard file `path`.

    Idempotent: a rerun (its worker was killed) resumes the partial shard and does only what is
    not committed yet. job: the job's params. after_record(path, done) is a test hook called
    after every commit."""
    params = shard_params(job, sources)

    def create(p):
        return DatasetWriter.create(p, (options.size, options.size), crop_regions=options.crops,
                                    crop_size=options.crop_size, params=params, stage=STAGE)

    set_num_threads(1)  # one task per worker thread already fills the cores
    with open_shard(path, params, create) as writer:
        done = writer.sources()
        todo = [s for s in sources if s not in done]
        pipeline = _pipeline(options) if any(find_sidecar_landmarks(s) is None for s in todo) else None
        finder = None
        if options.tight_crop_fallback and pipeline is not None:
            from ..appraisal.normal_faces import FaceFinder
            finder = FaceFinder(pipeline)
        for source in todo:
            result = prepare_face(source, pipeline, options, finder)
            if isinstance(result, PreparedFace):
                writer.append(result.source, result.image, result.landmarks, result.box, result.pose,
                              crops=result.crops, group=options.group, split=options.split,
                              age_group=options.record_age_group(result.source), params=result.params)
            else:
                writer.append_skipped(result.source, result.reason, result.error_type, result.message)
            if after_record is not None:
                after_record(path, len(writer) + writer.skipped_count())
    return path


def default_shard_size(todo: int, threads: int) -> int:
    """About 4 shards per worker thread (balance, and little to redo after a kill), 1..64 inputs each."""
    return max(1, min(64, -(-todo // (4 * threads))))


def prepare_dataset_on_cluster(inputs, out, options: PrepareOptions = PrepareOptions(), scheduler: Optional[str] = None,
                               workers: Optional[int] = None, shard_size: Optional[int] = None,
                               progress: bool = True, client=None, after_record=None) -> dict:
    """The prepare job on a dask cluster (`scheduler`), a LocalCluster of `workers` processes, or
    an existing `client`; returns prepare_dataset's summary plus `workers` and `shards`.

    `out` is created or resumed exactly as by prepare_dataset (same params, so either can resume
    the other's file); only inputs not in it yet are sharded.
    """
    started = time.perf_counter()
    out = os.path.abspath(os.fspath(out))
    sources = collect_image_paths(inputs)
    if not sources:
        raise InputError(f"no images found in {list(map(str, inputs))}; expected folders, images or list files")
    if client is not None:
        return _run(inputs, out, options, client, shard_size, progress, after_record, sources, started)
    with cluster_client(scheduler, workers) as own:
        return _run(inputs, out, options, own, shard_size, progress, after_record, sources, started)


def _run(inputs, out, options, client, shard_size, progress, after_record, sources, started) -> dict:
    threads = cluster_threads(client)
    params = job_params(inputs, options, threads)
    with open_for_resume(out, params, options) as writer:
        done = writer.sources()
        todo = [s for s in sources if s not in done]
        resumed_from = len(sources) - len(todo)
        plan = plan_shards(out, todo, shard_size or default_shard_size(len(todo), threads))
        with _progress_bar(len(sources), resumed_from, progress) as bar:
            written, skipped = run_shards(client, writer, plan, prepare_shard, options, params, name="prepare",
                                          bar=bar, after_record=after_record)
        check_exactly_once(out, shard_sources(writer.h5), sources)
    remove_shards(out)
    return {"out": out, "written": written, "skipped": sum(skipped.values()),
            "skipped_by_reason": dict(sorted(skipped.items())), "resumed_from": resumed_from,
            "seconds": round(time.perf_counter() - started, 3), "threads": threads,
            "workers": len(client.scheduler_info()["workers"]), "shards": len(plan)}
