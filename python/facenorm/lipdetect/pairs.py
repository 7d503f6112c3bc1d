"""The `pairs` stage of the ICMI 2024 lip-abnormality detector: (original, normalized) lip crops.

`build_pairs` turns finished prepare / synth / normalize files into one HDF5 file (stage
`pairs`, docs/datasets.md) whose records are samples for a Siamese CNN: `images` holds the
original lip crop, `crops/normalized` the normalized face cut with the very same crop matrix
(a pixel-aligned pair), `columns/label` 0 (normal) or 1 (abnormal). Splits follow identities,
and every split is balanced 50/50 (each control with one transformed copy of itself).
`LipPairs` reads it; `subset_indices` gives the paper's train / dev / test subsets;
`store_features` caches deep features inside it. Written with DatasetWriter's commit protocol,
so a killed job restarted with the same arguments neither loses nor duplicates records.
"""
import contextlib
import json
import os
import sys
import time
from collections import Counter
from typing import Dict, Optional, Sequence

import h5py
import numpy as np

from .. import _core
from .._core import DatasetError, InputError
from ..data.dataset import Dataset
from ..data.hdf5_files import dataset_errors, open_hdf5
from ..data.rows import record_from_row
from ..data.schema import check_schema, column_dataset_name, committed_record_count, crop_dataset_name
from ..data.writer import DatasetWriter
from .feature_cache import cache_state, feature_dataset, write_features
from .pair_plan import ABNORMAL, NORMAL, SPLITS, Planned, make_plan
from .pair_sources import PairSource, SourceTables, load_source

STAGE = "pairs"
REGION = "lip"                 # the crop geometry prepare uses for region `lip`
MARGIN = 0.15                  # crop_region's default margin, recorded in the file's params
NORMALIZED_CROP = "normalized"  # crops/normalized: the normalized face under the same crop matrix
COLUMNS = {"label": np.int8, "source_index": np.int16}
CHILD, ADULT = "child", "adult"
# UTKFace's age groups (appraisal.normal_faces.AGE_GROUPS) count as children or adults too
CHILD_GROUPS = (CHILD, "0-2", "3-5", "6-12", "13-17")
ADULT_GROUPS = (ADULT, "18-59", "60+")
AGE_GROUPS = CHILD_GROUPS[1:] + ADULT_GROUPS[1:]

__all__ = ["PairSource", "build_pairs", "LipPairs", "subset_indices", "store_features", "STAGE"]


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
                progress: bool = True, sources: Sequence[PairSource] = ()) -> dict:
    """Build (or resume) the pairs file `out`; returns a JSON-friendly summary.

    controls / transformed / normalized_controls / normalized_transformed: a prepare file of
    normal faces, a synth file made from it, and the normalize outputs of both (one balanced
    source). cleft / normalized_cleft: a prepare file of real patient photos and its normalize
    output (abnormal, split test, subset test_cleft). sources: more PairSource objects, e.g. a
    second balanced source for a test set, or PairSource(test, transformed=real_shapes,
    normalized_transformed=..., abnormal_only=True, tag="real_shapes"); controls may then be None.
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
            for p in todo:
                writer.append(**cutter.cut(p))
                written += 1
                bar.update(1)
    with LipPairs.open(out) as pairs:
        labels = pairs.labels
        subsets = {name: int(len(idx)) for name, idx in pairs.subsets().items()}
        records = len(pairs)
    return {"out": out, "written": written, "skipped": sum(skipped_now.values()),
            "skipped_by_reason": dict(sorted(skipped_now.items())), "resumed_from": resumed_from, "records": records,
            "not_used": dict(sorted(Counter(s.reason for s in skipped).items())),
            "labels": {"normal": int((labels == NORMAL).sum()), "abnormal": int((labels == ABNORMAL).sum())},
            "subsets": subsets, "seconds": round(time.perf_counter() - started, 3)}


# -- reading ----------------------------------------------------------------------------------

def _open_pairs(path: str, mode: str) -> h5py.File:
    """The file opened and checked to be a pairs file; MissingFileError / DatasetError otherwise."""
    try:
        h5 = open_hdf5(path, mode)
    except DatasetError as e:
        if mode != "r" and "already open for read-only" in str(e):
            raise DatasetError(f"{path}: is open read-only in this process (a LipPairs reader?); close it "
                               f"first, or use LipPairs.store_features") from e
        raise
    try:
        with dataset_errors(path, "checking the schema"):
            check_schema(h5, path)
        stage = str(h5.attrs.get("stage", ""))
        expected = "a 'pairs' file written by build_pairs / facenorm lip-dataset (see docs/datasets.md)"
        if stage != STAGE:
            raise DatasetError(f"{path}: is a '{stage}' stage file; expected {expected}")
        needed = [crop_dataset_name(NORMALIZED_CROP)] + [column_dataset_name(c) for c in COLUMNS]
        missing = [n for n in needed if n not in h5]
        if missing:
            raise DatasetError(f"{path}: lacks {', '.join(missing)}; expected {expected}")
        return h5
    except BaseException:
        h5.close()
        raise


def _strings(values) -> np.ndarray:
    return np.array([v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values], dtype=str)


def _index_array(indices, n: int) -> np.ndarray:
    if isinstance(indices, slice):
        return np.arange(n)[indices]
    idx = np.asarray(indices)
    if idx.size == 0:
        return np.zeros(0, dtype=np.int64)
    if idx.dtype.kind == "b" and idx.shape == (n,):  # a mask, as from labels == 1
        return np.flatnonzero(idx)
    if idx.dtype.kind not in "iu" or idx.ndim != 1:
        raise InputError(f"indices: expected a 1-D sequence of record indices, a slice or an (N,) mask, got "
                         f"{idx.dtype} {idx.shape}")
    bad = idx[(idx < -n) | (idx >= n)]
    if len(bad):
        raise IndexError(f"record {int(bad[0])} out of range for {n} records")
    return idx % n if n else idx


def _take(ds: h5py.Dataset, indices, n: int) -> np.ndarray:
    """Rows of a per-record dataset in the order asked (one read per row: one chunk per record)."""
    idx = _index_array(indices, n)
    out = np.empty((len(idx),) + ds.shape[1:], dtype=ds.dtype)
    for k, i in enumerate(idx.tolist()):
        ds.read_direct(out, np.s_[i], np.s_[k])
    return out


class LipPairs:
    """A pairs file opened read-only: `with LipPairs.open(path) as p: x = p.original(p.subsets()["train"])`."""

    def __init__(self, h5: h5py.File, path: str):
        self.h5 = h5
        self.path = path
        with dataset_errors(path, "reading the records"):
            self._length = committed_record_count(h5)
            rows = h5["records"].fields(["group", "split", "age_group", "subject_id"])[: self._length]
            self.labels = h5[column_dataset_name("label")][: self._length].astype(np.int64)
            self.source_indices = h5[column_dataset_name("source_index")][: self._length].astype(np.int64)
        self.groups, self.splits = _strings(rows["group"]), _strings(rows["split"])
        self.age_groups, self.subject_ids = _strings(rows["age_group"]), _strings(rows["subject_id"])

    @classmethod
    def open(cls, path) -> "LipPairs":
        """MissingFileError when absent; DatasetError when not a readable pairs file."""
        path = os.fspath(path)
        h5 = _open_pairs(path, "r")
        try:
            return cls(h5, path)
        except BaseException:
            h5.close()
            raise

    def __len__(self) -> int:
        return self._length

    @property
    def params(self) -> dict:
        """The job's arguments (file attribute `params`): sources, dev_fraction, crop_size, seed, ..."""
        return json.loads(self.h5.attrs.get("params", "{}"))

    @property
    def crop_size(self) -> int:
        return int(self.h5["images"].shape[1])

    def original(self, indices) -> np.ndarray:
        """uint8 (n, S, S, 3) original lip crops."""
        with dataset_errors(self.path, "reading original crops"):
            return _take(self.h5["images"], indices, self._length)

    def normalized(self, indices) -> np.ndarray:
        """uint8 (n, S, S, 3) normalized crops, pixel-aligned with original(indices)."""
        with dataset_errors(self.path, "reading normalized crops"):
            return _take(self.h5[crop_dataset_name(NORMALIZED_CROP)], indices, self._length)

    def landmarks(self, indices) -> np.ndarray:
        """float32 (n, 68, 2) landmarks in crop pixels."""
        with dataset_errors(self.path, "reading landmarks"):
            return _take(self.h5["landmarks"], indices, self._length)

    def record(self, i: int) -> dict:
        """One `records` row as a dict, params parsed (slow path: one record)."""
        i = int(_index_array([i], self._length)[0])
        with dataset_errors(self.path, f"reading record {i}"):
            return record_from_row(self.h5["records"][i])

    def subsets(self, exclude_children: bool = False) -> Dict[str, np.ndarray]:
        return subset_indices(self, exclude_children)

    # -- feature cache ---------------------------------------------------------------------
    def has_features(self, backbone: str, layer: str, expected_attrs: dict) -> bool:
        """True when features/<backbone>/<layer> is complete and was made with expected_attrs."""
        return cache_state(self.h5, self._length, backbone, layer, expected_attrs) == ""

    def read_features(self, backbone: str, layer: str, indices, attrs: Optional[dict] = None) -> np.ndarray:
        """float16 (n, ...) cached features; with attrs, DatasetError unless made with them."""
        ds = feature_dataset(self.h5, self.path, self._length, backbone, layer, attrs)
        with dataset_errors(self.path, "reading features"):
            return _take(ds, indices, self._length)

    def store_features(self, backbone: str, layer: str, chunks, attrs: dict) -> dict:
        """store_features on this file while it is open here: the reader switches to a writable
        handle for the write, so `chunks` may be a generator reading crops from this reader."""
        self.h5.close()
        try:
            self.h5 = _open_pairs(self.path, "a")
            return write_features(self.h5, self._length, backbone, layer, chunks, attrs)
        finally:
            self.h5.close()
            self.h5 = _open_pairs(self.path, "r")

    # -- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        self.h5.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"LipPairs({self.path!r}, records={self._length}, crop_size={self.crop_size})"


def subset_indices(reader: LipPairs, exclude_children: bool = False) -> Dict[str, np.ndarray]:
    """Record indices per subset (int64, ascending).

    train / dev / test: the balanced sources' records of that split (always present, maybe
    empty); exclude_children drops age group `child` from train and dev (the paper's ablation).
    test_adults / test_children: test controls by age group, when any test control has one;
    otherwise test_controls: every test control. test_<tag>: the test records of each tagged
    source (e.g. test_cleft, test_real_shapes).
    """
    sources = reader.params.get("sources", [])
    abnormal_only = np.array([bool(s.get("abnormal_only")) for s in sources], dtype=bool)[reader.source_indices]
    tags = np.array([s.get("tag", "") for s in sources], dtype=str)[reader.source_indices]
    balanced, test = ~abnormal_only, reader.splits == "test"
    subsets = {}
    for split in SPLITS:
        mask = balanced & (reader.splits == split)
        if exclude_children and split != "test":
            mask &= ~np.isin(reader.age_groups, CHILD_GROUPS)
        subsets[split] = np.flatnonzero(mask)
    test_controls = balanced & test & (reader.labels == NORMAL)
    if np.isin(reader.age_groups[test_controls], ADULT_GROUPS + CHILD_GROUPS).any():
        subsets["test_adults"] = np.flatnonzero(test_controls & np.isin(reader.age_groups, ADULT_GROUPS))
        subsets["test_children"] = np.flatnonzero(test_controls & np.isin(reader.age_groups, CHILD_GROUPS))
    else:
        subsets["test_controls"] = np.flatnonzero(test_controls)
    subsets.update(_kind_and_age_subsets(reader, balanced & test))
    for tag in dict.fromkeys(s.get("tag", "") for s in sources):
        if tag:
            subsets[f"test_{tag}"] = np.flatnonzero((tags == tag) & test)
    return subsets


def _kind_and_age_subsets(reader: LipPairs, test: np.ndarray) -> Dict[str, np.ndarray]:
    """test_kind_<group>: the test copies of each kind (group: lt-v2, cleft_repaired, ...) when
    the copies are of several kinds; test_age_<group>: the test records (controls and their
    copies) of each UTKFace age group present."""
    out = {}
    copies = test & (reader.labels == ABNORMAL)
    kinds = sorted(set(reader.groups[copies]) - {""})
    if len(kinds) > 1:
        out.update({f"test_kind_{k}": np.flatnonzero(copies & (reader.groups == k)) for k in kinds})
    for group in AGE_GROUPS:
        mask = test & (reader.age_groups == group)
        if mask.any():
            out[f"test_age_{group}"] = np.flatnonzero(mask)
    return out


def store_features(path, backbone: str, layer: str, chunks, attrs: dict) -> dict:
    """Cache features/<backbone>/<layer> in the pairs file at `path`: float16 (N, ...), one
    record per chunk, uncompressed. chunks: one (N, ...) array, or an iterator of (k, ...)
    arrays in record order. Written under a temporary name and moved into place when complete;
    an existing cache of that name is replaced. attrs: the settings that made the features
    (weights file and hash, input size, ...), compared by has_features / read_features."""
    path = os.fspath(path)
    with _open_pairs(path, "a") as h5:
        return write_features(h5, committed_record_count(h5), backbone, layer, chunks, attrs)
