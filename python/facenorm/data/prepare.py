"""`facenorm prepare`: photos -> the first HDF5 dataset stage (aligned faces, landmarks, pose).

Worker threads compute records (the C++ kernels and zlib release the GIL); the calling thread
is the only writer and appends results in input order. Resuming: every input's absolute path is
its key in `records` or `skipped`, so a restarted job skips what is there and a killed one
loses at most the record it was writing (which DatasetWriter.open truncates).
"""
import os
import sys
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor

from .._core import DatasetError, InputError, get_num_threads, set_num_threads
from .inputs import collect_image_paths
from .landmark_files import find_sidecar_landmarks
from .prepare_face import PreparedFace, PrepareOptions, prepare_face
from .writer import DatasetWriter

__all__ = ["STAGE", "NOT_COMPARED", "job_params", "open_for_resume", "prepare_dataset"]

STAGE = "prepare"
NOT_COMPARED = ("threads",)  # arguments a resumed job may change


def job_params(inputs, options: PrepareOptions, threads: int) -> dict:
    """The file's `params` attribute: every argument that shapes the records."""
    return {"stage": STAGE, "inputs": [os.path.abspath(p) for p in inputs], **options.to_params(),
            "threads": threads}


def _differences(stored: dict, wanted: dict) -> list:
    keys = sorted((set(stored) | set(wanted)) - set(NOT_COMPARED))
    return [f"{k}: file has {stored.get(k)!r}, this run has {wanted.get(k)!r}"
            for k in keys if stored.get(k) != wanted.get(k)]


def open_for_resume(out: str, params: dict, options: PrepareOptions) -> DatasetWriter:
    """Create `out`, or reopen it when an earlier run with the same arguments wrote it."""
    if not os.path.exists(out):
        return DatasetWriter.create(out, (options.size, options.size), crop_regions=options.crops,
                                    crop_size=options.crop_size, params=params, stage=STAGE)
    writer = DatasetWriter.open(out)
    differences = _differences(writer.params, params)
    if writer.stage != STAGE or differences:
        writer.close()
        detail = "; ".join(differences) if differences else f"it is a '{writer.stage}' stage file"
        raise DatasetError(f"{out}: exists and was written by a different job ({detail}). Rerun with the "
                           f"same arguments to resume it, or choose another --out")
    return writer


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="img", desc="prepare", file=sys.stderr,
                disable=not enabled, dynamic_ncols=True)


def prepare_dataset(inputs, out, options: PrepareOptions = PrepareOptions(), threads: int = 1,
                    progress: bool = True, pipeline=None) -> dict:
    """Run the prepare job and return its summary (what `facenorm prepare --json` prints).

    inputs: folders (searched recursively), image files, or text files listing image paths.
    Raises InputError when no images are found, DatasetError when `out` exists with other
    arguments or is not a readable dataset. Bad photos never raise: they go to `skipped`.
    """
    started = time.perf_counter()
    if threads < 1:
        raise InputError(f"threads: expected 1 or more, got {threads}")
    out = os.path.abspath(os.fspath(out))
    sources = collect_image_paths(inputs)
    if not sources:
        raise InputError(f"no images found in {list(map(str, inputs))}; expected folders, images or list files")
    # One image per thread already fills the cores; OpenCV's own threads inside each kernel
    # would only oversubscribe them.
    opencv_threads = get_num_threads()
    if threads > 1:
        set_num_threads(1)
    try:
        return _run(inputs, out, options, threads, progress, pipeline, sources, started)
    finally:
        set_num_threads(opencv_threads)


def _run(inputs, out, options, threads, progress, pipeline, sources, started) -> dict:
    """The job proper: resume-aware, workers compute, this thread writes in input order."""
    written, skipped = 0, Counter()
    with open_for_resume(out, job_params(inputs, options, threads), options) as writer:
        done = writer.sources()
        todo = [s for s in sources if s not in done]
        resumed_from = len(sources) - len(todo)
        if pipeline is None and any(find_sidecar_landmarks(s) is None for s in todo):
            from ..pipeline import FacePipeline

            pipeline = FacePipeline(detector=options.detector, landmark_model=options.landmark_model,
                                    policy="largest", max_yaw=options.max_yaw, max_pitch=options.max_pitch)
        finder = None
        if options.tight_crop_fallback and pipeline is not None:
            from ..appraisal.normal_faces import FaceFinder
            finder = FaceFinder(pipeline)
        with _progress_bar(len(sources), resumed_from, progress) as bar, \
                ThreadPoolExecutor(max_workers=threads, thread_name_prefix="prepare") as pool:
            # A bounded window keeps the workers busy without holding every image in memory.
            pending, queue = deque(), iter(todo)

            def submit_next():
                source = next(queue, None)
                if source is not None:
                    pending.append(pool.submit(prepare_face, source, pipeline, options, finder))

            for _ in range(2 * threads):
                submit_next()
            try:
                while pending:
                    result = pending.popleft().result()
                    submit_next()
                    if isinstance(result, PreparedFace):
                        writer.append(result.source, result.image, result.landmarks, result.box, result.pose,
                                      crops=result.crops, group=options.group, split=options.split,
                                      age_group=options.record_age_group(result.source),
                                      params=result.params)
                        written += 1
                    else:
                        writer.append_skipped(result.source, result.reason, result.error_type, result.message)
                        skipped[result.reason] += 1
                    bar.set_postfix(written=written, skipped=sum(skipped.values()), refresh=False)
                    bar.update(1)
            finally:
                for future in pending:  # on an error or Ctrl-C, do not compute what will not be written
                    future.cancel()
    return {"out": out, "written": written, "skipped": sum(skipped.values()),
            "skipped_by_reason": dict(sorted(skipped.items())), "resumed_from": resumed_from,
            "seconds": round(time.perf_counter() - started, 3), "threads": threads}
