"""Building the `pairs` file (lip_pairs.py): `build_pairs` turns finished prepare / synth /
normalize files into one HDF5 file whose records are samples for the Siamese CNN. Splits follow
identities, and every split is balanced 50/50 (each control with one transformed copy of itself).
Written with DatasetWriter's commit protocol, so a killed job restarted with the same arguments
neither loses nor duplicates records.
"""
import contextlib
import os
import sys
import time
from collections import Counter
from typing import Dict, Sequence

import numpy as np

from .. import _core
from .._core import DatasetError, InputError
from ..data.dataset import Dataset
from ..data.hdf5_files import dataset_errors
from ..data.rows import record_from_row
from ..data.writer import DatasetWriter
from .lip_pairs import COLUMNS, MARGIN, NORMALIZED_CROP, REGION, STAGE, LipPairs
from .pair_plan import ABNORMAL, NORMAL, Planned, make_plan
from .pair_sources import PairSource, SourceTables, load_source

__all__ = ["PairSource", "build_pairs", "pairs_shard"]


def _sources(controls, transformed, normalized_controls, normalized_transformed, cleft, normalized_cleft,
             sources) -> list:
    found = []
    if controls is not None:
        found.append(PairSource(controls, normalized_controls, transformed, normalized_transformed))
    found += list(sources)
    if cleft is not None:
        found.append(PairSource(cleft, normalized_cleft, abnormal_only=True, tag="cleft"))
    if not found:
        raise InputError("build_pairs: expected controls (with their transformed and normalized files) or sources")
    bad = [s for s in found if not isinstance(s, PairSource)]
    if bad:
        raise InputError(f"build_pairs: sources must be PairSource objects, got {type(bad[0]).__name__}")
    return found


def _job_params(sources: list, dev_fraction: float, crop_size: int, seed: int) -> dict:
    return {"stage": STAGE, "sources": [s.to_params() for s in sources], "dev_fraction": dev_fraction,
            "crop_size": crop_size, "seed": seed, "region": REGION, "margin": MARGIN}


def _open_output(out: str, params: dict, crop_size: int) -> DatasetWriter:
    if not os.path.exists(out):
        return DatasetWriter.create(out, (crop_size, crop_size), crop_regions=[NORMALIZED_CROP], crop_size=crop_size,
                                    params=params, stage=STAGE, columns=COLUMNS)
    return DatasetWriter.reopen_for_job(out, STAGE, params)


def _matrix_list(matrix) -> list:
    return [[float(v) for v in row] for row in np.asarray(matrix)]


class _PairCutter:
    """Cuts one planned record's crop pair from its input files (kept open for the whole job)."""

    def __init__(self, tables: Sequence[SourceTables], crop_size: int, stack: contextlib.ExitStack):
        self.crop_size = crop_size
        self.stack = stack
        self.files: Dict[str, Dataset] = {}
        self.rows = {t.path: t.rows for s in tables
                     for t in (s.prepared, s.normalized, s.transformed, s.normalized_transformed) if t}
        self.normalizers = [s.normalizer for s in tables]
        self.tags = [s.source.tag for s in tables]

    def _file(self, path: str) -> Dataset:
        if path not in self.files:
            self.files[path] = self.stack.enter_context(Dataset.open(path))
        return self.files[path]

    def _params(self, p: Planned, face: Dataset, crop) -> dict:
        params = {"label": p.label, "source_file": p.file, "source_id": p.index, "normalized_file": p.normalized_file,
                  "normalized_id": p.normalized_index, "normalizer": self.normalizers[p.source_index],
                  "identity": p.identity, "region": REGION, "crop_matrix": _matrix_list(crop.matrix),
                  "crop_box": [float(v) for v in crop.box]}
        if self.tags[p.source_index]:
            params["tag"] = self.tags[p.source_index]
        if p.control is None:
            params["photo"] = self.rows[p.file]["source"][p.index]
            return params
        control_file, control_id = p.control
        params.update({"photo": self.rows[control_file]["source"][control_id], "control_file": control_file,
                       "control_id": control_id})
        with dataset_errors(face.path, f"reading record {p.index}"):
            made = record_from_row(face.h5["records"][p.index])["params"]
        params.update({k: made[k] for k in ("method", "template", "side", "severity", "severity_applied", "seed",
                                                  "anchor", "cleft")
                       if k in made})
        return params

    def cut(self, p: Planned) -> dict:
        """DatasetWriter.append's arguments for one record."""
        face, norm = self._file(p.file), self._file(p.normalized_file)
        image, normalized = face.image(p.index), norm.image(p.normalized_index)
        if normalized.shape != image.shape:
            raise DatasetError(f"{p.normalized_file}: record {p.normalized_index} is {normalized.shape}, its input "
                               f"{p.file}#{p.index} {image.shape}; expected a normalize output of the same size")
        with dataset_errors(face.path, f"reading record {p.index}"):
            landmarks, box, pose = (face.h5[n][p.index] for n in ("landmarks", "boxes", "pose"))
        # The un-normalized face's landmarks give the crop; the same landmarks on the same-size
        # normalized face give the same matrix, hence a pixel-aligned pair.
        crop = _core.crop_region(image, landmarks, REGION, size=self.crop_size, margin=MARGIN)
        pair = _core.crop_region(normalized, landmarks, REGION, size=self.crop_size, margin=MARGIN)
        matrix = np.asarray(crop.matrix, dtype=np.float64)
        crop_landmarks = (landmarks.astype(np.float64) @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)
        return dict(source=p.key, image=crop.image, landmarks=crop_landmarks, box=box, pose=pose,
                    crops={NORMALIZED_CROP: pair.image}, subject_id=p.subject_id, group=p.group,
                    age_group=p.age_group, split=p.split, parent_id=p.index, params=self._params(p, face, crop),
                    columns={"label": p.label, "source_index": p.source_index})


def build_pairs(controls, out, transformed=None, normalized_controls=None, normalized_transformed=None,
                cleft=None, normalized_cleft=None, dev_fraction: float = 0.2, crop_size: int = 224, seed: int = 0,
                progress: bool = True, sources: Sequence[PairSource] = (), scheduler=None, workers=None,
                shard_size=None, client=None, after_record=None) -> dict:
    """Build (or resume) the pairs file `out`; returns a JSON-friendly summary.

    controls / transformed / normalized_controls / normalized_transformed: a prepare file of
    normal faces, a synth file made from it, and the normalize outputs of both (one balanced
    source). cleft / normalized_cleft: a prepare file of real patient photos and its normalize
    output (abnormal, split test, subset test_cleft). sources: more PairSource objects, e.g. a
    second balanced source for a test set, or PairSource(test, transformed=real_shapes,
    normalized_transformed=..., abnormal_only=True, tag="real_shapes"); controls may then be None.
    scheduler / workers / client: cut the pairs on a dask cluster in shards of `shard_size`
    records (docs/cluster.md); the same file as the one-host job.
    Raises InputError for bad arguments, DatasetError when an input is not the file expected
    (stage, made from another file, job not finished) or `out` was written with other arguments.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    if not 0.0 <= float(dev_fraction) < 1.0:
        raise InputError(f"dev_fraction: expected 0 <= dev_fraction < 1, got {dev_fraction}")
    if not 16 <= int(crop_size) <= 4096:
        raise InputError(f"crop_size: expected 16..4096 pixels, got {crop_size}")
    if out is None:
        raise InputError("build_pairs: expected an output path (out)")
    all_sources = _sources(controls, transformed, normalized_controls, normalized_transformed, cleft,
                           normalized_cleft, sources)
    out = os.path.abspath(os.fspath(out))
    tables = [load_source(s) for s in all_sources]
    planned, skipped = make_plan(tables, float(dev_fraction), int(seed))
    params = _job_params(all_sources, float(dev_fraction), int(crop_size), int(seed))
    written, skipped_now = 0, Counter()
    with _open_output(out, params, int(crop_size)) as writer, contextlib.ExitStack() as stack:
        done = writer.sources()
        for s in skipped:
            if s.key not in done:
                writer.append_skipped(s.key, s.reason, "", s.message)
                skipped_now[s.reason] += 1
        todo = [p for p in planned if p.key not in done]
        resumed_from = len(planned) + len(skipped) - len(todo) - sum(skipped_now.values())
        cutter = _PairCutter(tables, int(crop_size), stack)
        with tqdm(total=len(planned), initial=len(planned) - len(todo), unit="pair", desc="pairs", file=sys.stderr,
                  disable=not progress) as bar:
            if scheduler or workers is not None or client is not None:
                written, cluster = _cut_on_cluster(writer, out, todo, all_sources, params, scheduler, workers,
                                                   shard_size, client, bar, after_record)
                from ..data.shards import check_exactly_once, shard_sources

                check_exactly_once(out, shard_sources(writer.h5), [p.key for p in planned] + [s.key for s in skipped])
            else:
                cluster = {}
                for p in todo:
                    writer.append(**cutter.cut(p))
                    written += 1
                    bar.update(1)
    if cluster:
        from ..data.shards import remove_shards

        remove_shards(out)
    with LipPairs.open(out) as pairs:
        labels = pairs.labels
        subsets = {name: int(len(idx)) for name, idx in pairs.subsets().items()}
        records = len(pairs)
    return {"out": out, "written": written, "skipped": sum(skipped_now.values()),
            "skipped_by_reason": dict(sorted(skipped_now.items())), "resumed_from": resumed_from, "records": records,
            "not_used": dict(sorted(Counter(s.reason for s in skipped).items())),
            "labels": {"normal": int((labels == NORMAL).sum()), "abnormal": int((labels == ABNORMAL).sum())},
            "subsets": subsets, "seconds": round(time.perf_counter() - started, 3), **cluster}


_PLANS = {}  # per worker process: the sources' tables and the plan, loaded once, not once per shard


def pairs_shard(path: str, keys: list, sources: list, job: dict, after_record=None) -> str:
    """A dask task (docs/cluster.md): the pair records of `keys` in the shard file `path`; a rerun
    after a killed worker resumes the partial shard. The worker re-derives the plan from `sources`
    (make_plan is deterministic), so only the keys travel."""
    import json

    from ..data.shards import open_shard, shard_params

    crop_size = int(job["crop_size"])
    cache = json.dumps(job, sort_keys=True)
    if cache not in _PLANS:
        tables = [load_source(s) for s in sources]
        planned, _ = make_plan(tables, float(job["dev_fraction"]), int(job["seed"]))
        _PLANS.clear()
        _PLANS[cache] = tables, {p.key: p for p in planned}
    tables, by_key = _PLANS[cache]
    params = shard_params(job, keys)

    def create(p):
        return DatasetWriter.create(p, (crop_size, crop_size), crop_regions=[NORMALIZED_CROP], crop_size=crop_size,
                                    params=params, stage=STAGE, columns=COLUMNS)

    with open_shard(path, params, create) as writer, contextlib.ExitStack() as stack:
        cutter = _PairCutter(tables, crop_size, stack)
        done = writer.sources()
        for key in keys:
            if key in done:
                continue
            writer.append(**cutter.cut(by_key[key]))
            if after_record is not None:
                after_record(path, len(writer))
    return path


def _cut_on_cluster(writer, out, todo, sources, params, scheduler, workers, shard_size, client, bar,
                    after_record) -> tuple:
    """The pair records of `todo` cut by dask tasks into shard files and merged into `writer` in order."""
    from contextlib import nullcontext

    from ..data.shards import cluster_client, cluster_threads, plan_shards, run_shards

    with (nullcontext(client) if client is not None else cluster_client(scheduler, workers)) as client:
        threads = cluster_threads(client)
        plan = plan_shards(out, [p.key for p in todo], shard_size or max(1, min(64, -(-len(todo) // (4 * threads)))))
        written, _ = run_shards(client, writer, plan, pairs_shard, list(sources), params, name="pairs", bar=bar,
                                after_record=after_record)
        return written, {"threads": threads, "workers": len(client.scheduler_info()["workers"]), "shards": len(plan)}
