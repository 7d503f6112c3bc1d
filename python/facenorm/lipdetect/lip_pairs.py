"""The `pairs` file of the ICMI 2024 lip-abnormality detector (stage `pairs`, docs/datasets.md):
(original, normalized) lip crops for a Siamese CNN. Each record's `images` row is the original
lip crop, `crops/normalized` the normalized face cut with the very same crop matrix (a
pixel-aligned pair), `columns/label` 0 (normal) or 1 (abnormal). `LipPairs` reads it (a
facenorm.data.Dataset that knows the pairs' columns), `subset_indices` gives the paper's train /
dev / test subsets, `store_features` caches deep features inside it. lip_pairs_build.py writes it.
"""
import os
from typing import Dict, Optional

import numpy as np

from .._core import DatasetError
from ..data.dataset import Dataset, take_rows
from ..data.hdf5_files import dataset_errors, open_hdf5
from ..data.schema import check_schema, column_dataset_name, committed_record_count, crop_dataset_name
from .feature_cache import cache_state, feature_dataset, write_features
from .pair_plan import ABNORMAL, NORMAL, SPLITS

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

__all__ = ["STAGE", "REGION", "MARGIN", "NORMALIZED_CROP", "COLUMNS", "CHILD_GROUPS", "ADULT_GROUPS", "AGE_GROUPS",
           "LipPairs", "subset_indices", "store_features"]


class LipPairs(Dataset):
    """A pairs file opened read-only: `with LipPairs.open(path) as p: x = p.original(p.subsets()["train"])`.
    Everything a Dataset reads, plus the pairs' labels, splits and subsets, aligned crop pairs by
    index, and the feature cache. landmarks(indices) reads a subset (the Dataset property reads all)."""

    def __init__(self, h5, path: str):
        super().__init__(h5, path)
        with dataset_errors(path, "reading the records"):
            rows = h5["records"].fields(["group", "split", "age_group", "subject_id"])[: self._length]
        self.labels = self.column("label").astype(np.int64)
        self.source_indices = self.column("source_index").astype(np.int64)
        self.groups, self.splits = _strings(rows["group"]), _strings(rows["split"])
        self.age_groups, self.subject_ids = _strings(rows["age_group"]), _strings(rows["subject_id"])

    @classmethod
    def open_checked(cls, path: str, mode: str):
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

    @property
    def crop_size(self) -> int:
        return int(self.image_shape[0])

    def original(self, indices) -> np.ndarray:
        """uint8 (n, S, S, 3) original lip crops."""
        return self.take("images", indices)

    def normalized(self, indices) -> np.ndarray:
        """uint8 (n, S, S, 3) normalized crops, pixel-aligned with original(indices)."""
        return self.take(crop_dataset_name(NORMALIZED_CROP), indices)

    def landmarks(self, indices) -> np.ndarray:
        """float32 (n, 68, 2) landmarks in crop pixels."""
        return self.take("landmarks", indices)

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
            return take_rows(ds, indices, self._length)

    def store_features(self, backbone: str, layer: str, chunks, attrs: dict) -> dict:
        """store_features on this file while it is open here: the reader switches to a writable
        handle for the write, so `chunks` may be a generator reading crops from this reader."""
        self.h5.close()
        try:
            self.h5 = self.open_checked(self.path, "a")
            return write_features(self.h5, self._length, backbone, layer, chunks, attrs)
        finally:
            self.h5.close()
            self.h5 = self.open_checked(self.path, "r")

    def __repr__(self) -> str:
        return f"LipPairs({self.path!r}, records={self._length}, crop_size={self.crop_size})"


def _strings(values) -> np.ndarray:
    return np.array([v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values], dtype=str)


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
    with LipPairs.open_checked(path, "a") as h5:
        return write_features(h5, committed_record_count(h5), backbone, layer, chunks, attrs)
