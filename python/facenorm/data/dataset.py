"""Reading a facenorm HDF5 dataset: `Dataset.open(path)`.

Only committed records are visible: rows of per-record datasets beyond the `records` table
(a record half-written when a job was killed) are ignored.
"""
import json
import os
from dataclasses import dataclass
from typing import Dict, Iterator, List

import numpy as np

from .hdf5_files import dataset_errors, open_hdf5
from .rows import record_from_row, skipped_from_row
from .schema import (COLUMNS_GROUP, CROPS_GROUP, check_schema, column_dataset_name, committed_record_count,
                     committed_row_count, crop_dataset_name)

__all__ = ["Sample", "Dataset", "record_indices", "take_rows"]


def record_indices(indices, n: int) -> np.ndarray:
    """int64 record indices from a slice, a 1-D sequence (negative counts from the end) or an
    (n,) boolean mask; IndexError when one is out of range, InputError when it is none of these."""
    from .._core import InputError

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


def take_rows(ds, indices, n: int) -> np.ndarray:
    """Rows of a per-record h5py dataset in the order asked (one read per row: one chunk per
    record, so a scattered subset reads no more than it needs)."""
    idx = record_indices(indices, n)
    out = np.empty((len(idx),) + ds.shape[1:], dtype=ds.dtype)
    for k, i in enumerate(idx.tolist()):
        ds.read_direct(out, np.s_[i], np.s_[k])
    return out


@dataclass
class Sample:
    """One record: its `records` row and its arrays. landmarks are float32 (68, 2) pixel (x, y)
    of `image` (the stored, aligned face), iBUG order; box (x0, y0, x1, y1) and pose (yaw, pitch,
    roll degrees) refer to the original photo."""
    record: dict
    image: np.ndarray
    landmarks: np.ndarray
    box: np.ndarray
    pose: np.ndarray
    crops: Dict[str, np.ndarray]


class Dataset:
    """A facenorm HDF5 dataset opened read-only. Use as a context manager or call close()."""

    def __init__(self, h5, path):
        self.h5 = h5  # the h5py.File, for anything this class does not wrap
        self.path = path
        self._records = None
        with dataset_errors(path, "reading 'records'"):
            self._length = committed_record_count(h5)

    @classmethod
    def open(cls, path) -> "Dataset":
        """Open and check the schema; raises MissingFileError, or DatasetError (corrupt, not HDF5,
        not a facenorm dataset) naming the path and what was expected."""
        path = os.fspath(path)
        h5 = cls.open_checked(path, "r")
        try:
            return cls(h5, path)
        except BaseException:
            h5.close()
            raise

    @classmethod
    def open_checked(cls, path: str, mode: str):
        """The h5py.File, checked to be what this class reads (a subclass checks more: its stage)."""
        h5 = open_hdf5(path, mode)
        try:
            with dataset_errors(path, "reading the schema"):
                check_schema(h5, path)
            return h5
        except BaseException:
            h5.close()
            raise

    # -- file attributes -------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self.h5.attrs["schema_version"])

    @property
    def created_by(self) -> str:
        return str(self.h5.attrs.get("created_by", ""))

    @property
    def params(self) -> dict:
        return json.loads(self.h5.attrs.get("params", "{}"))

    @property
    def image_shape(self) -> tuple:
        return tuple(self.h5["images"].shape[1:3])

    @property
    def crop_regions(self) -> List[str]:
        return sorted(self.h5[CROPS_GROUP]) if CROPS_GROUP in self.h5 else []

    @property
    def columns(self) -> List[str]:
        """Names of the optional one-value-per-record datasets `columns/<name>`."""
        return sorted(self.h5[COLUMNS_GROUP]) if COLUMNS_GROUP in self.h5 else []

    # -- tables ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._length

    @property
    def records(self) -> List[dict]:
        """Every committed `records` row as a dict (strings decoded, params parsed)."""
        if self._records is None:
            with dataset_errors(self.path, "reading 'records'"):
                rows = self.h5["records"][: self._length]
            self._records = [record_from_row(r) for r in rows]
        return self._records

    @property
    def skipped(self) -> List[dict]:
        """Inputs that did not make it: dicts with source, reason, error_type, message."""
        with dataset_errors(self.path, "reading 'skipped'"):
            table = self.h5["skipped"]
            rows = table[: committed_row_count(table)]
        return [skipped_from_row(r) for r in rows]

    # -- arrays ----------------------------------------------------------------------------
    def _rows(self, name: str) -> np.ndarray:
        with dataset_errors(self.path, f"reading '{name}'"):
            return self.h5[name][: self._length]

    @property
    def landmarks(self) -> np.ndarray:
        """float32 (N, 68, 2), pixels of the stored images."""
        return self._rows("landmarks")

    @property
    def boxes(self) -> np.ndarray:
        """float32 (N, 4) face boxes (x0, y0, x1, y1) in the original photos."""
        return self._rows("boxes")

    @property
    def pose(self) -> np.ndarray:
        """float32 (N, 3) yaw, pitch, roll in degrees, measured on the original photos."""
        return self._rows("pose")

    def take(self, name: str, indices) -> np.ndarray:
        """Rows `indices` (see record_indices) of the per-record dataset `name` ("images",
        "landmarks", "crops/lip", ...), without reading the others."""
        with dataset_errors(self.path, f"reading '{name}'"):
            return take_rows(self.h5[name], indices, self._length)

    def record(self, i: int) -> dict:
        """One `records` row as a dict, params parsed (reads that row only)."""
        i = self._index(int(i))
        with dataset_errors(self.path, f"reading record {i}"):
            return record_from_row(self.h5["records"][i])

    def column(self, name: str) -> np.ndarray:
        """(N,) values of column `name` for every committed record."""
        if name not in self.columns:
            raise KeyError(f"{self.path}: no column '{name}'; the file has {self.columns}")
        return self._rows(column_dataset_name(name))

    def _index(self, i: int) -> int:
        n = self._length
        if not -n <= i < n:
            raise IndexError(f"{self.path}: record {i} out of range for {n} records")
        return i % n

    def image(self, i: int) -> np.ndarray:
        """uint8 (H, W, 3) RGB image of record i."""
        i = self._index(i)
        with dataset_errors(self.path, f"reading image {i}"):
            return self.h5["images"][i]

    def crop(self, region: str, i: int) -> np.ndarray:
        """uint8 (S, S, 3) RGB crop of `region` for record i."""
        if region not in self.crop_regions:
            raise KeyError(f"{self.path}: no crops for region '{region}'; the file has {self.crop_regions}")
        i = self._index(i)
        with dataset_errors(self.path, f"reading crop {region} {i}"):
            return self.h5[crop_dataset_name(region)][i]

    def __getitem__(self, i: int) -> Sample:
        i = self._index(i)
        with dataset_errors(self.path, f"reading record {i}"):
            return Sample(record=self.records[i], image=self.h5["images"][i],
                          landmarks=self.h5["landmarks"][i], box=self.h5["boxes"][i],
                          pose=self.h5["pose"][i],
                          crops={r: self.h5[crop_dataset_name(r)][i] for r in self.crop_regions})

    def __iter__(self) -> Iterator[Sample]:
        for i in range(self._length):
            yield self[i]

    # -- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        self.h5.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"Dataset({self.path!r}, records={self._length}, image_shape={self.image_shape})"
