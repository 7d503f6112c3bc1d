"""Appending to a facenorm HDF5 dataset: `DatasetWriter.create(...)` / `DatasetWriter.open(path)`.

Commit protocol (what makes a killed job resumable without losing or duplicating records):
every per-record dataset is grown and written first and flushed, then the `records` row is
appended and flushed. A `records` row is therefore the commit marker; on open-for-append,
anything longer than `records` is a half-written record and is truncated.
"""
import json
import os
import zlib
from dataclasses import dataclass
from typing import Dict, Optional

import h5py
import numpy as np

from .._core import DatasetError, InputError, __version__
from .hdf5_files import dataset_errors, open_hdf5
from .rows import record_row, skipped_row
from .writer_lock import WriterLock
from .schema import (COLUMNS_GROUP, CROPS_GROUP, DEFAULT_CROP_SIZE, GZIP_LEVEL, NO_PARENT, RECORD_DTYPE,
                     SCHEMA_VERSION, SKIPPED_DTYPE, check_schema, column_dataset_name, committed_record_count,
                     committed_row_count, crop_dataset_name, fixed_record_datasets, per_record_dataset_names)

__all__ = ["TABLE_CHUNK_ROWS", "EncodedChunk", "encode_chunk", "DatasetWriter"]

TABLE_CHUNK_ROWS = 256


@dataclass(frozen=True)
class EncodedChunk:
    """One record's image already gzip(zlib)-compressed, so that worker threads (zlib releases
    the GIL) do the compression and the single writer thread only copies bytes to the file."""
    data: bytes
    shape: tuple
    dtype: np.dtype

    def decode(self) -> np.ndarray:
        return np.frombuffer(zlib.decompress(self.data), dtype=self.dtype).reshape(self.shape)


def encode_chunk(array: np.ndarray, level: int = GZIP_LEVEL) -> EncodedChunk:
    """Compress one record's array exactly as HDF5's gzip filter stores a chunk."""
    array = np.ascontiguousarray(array)
    return EncodedChunk(zlib.compress(array.data, level), array.shape, array.dtype)


def _stores_raw_chunks(ds: h5py.Dataset) -> bool:
    """True when one record is exactly one gzip-only chunk, so an EncodedChunk can go in as is."""
    return (ds.chunks == (1,) + ds.shape[1:] and ds.compression == "gzip" and not ds.shuffle
            and not ds.fletcher32 and ds.scaleoffset is None)


class DatasetWriter:
    """Appends records to one facenorm dataset file from ONE thread (h5py is not thread-parallel)."""

    def __init__(self, h5: h5py.File, path: str, lock: Optional[WriterLock] = None):
        self.h5 = h5
        self.path = path
        self.lock = lock

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path, image_shape, crop_regions=(), crop_size: int = DEFAULT_CROP_SIZE,
               params: Optional[dict] = None, stage: str = "", columns: Optional[Dict] = None) -> "DatasetWriter":
        """Create a new, empty dataset file for (H, W) images; refuses an existing file.

        columns: {name: numeric dtype} of optional one-value-per-record datasets `columns/<name>`
        (N,), for values a reader wants for all N at once without parsing N `params` strings.

        The skeleton is built under a temporary name and renamed, so a kill during creation never
        leaves a file without its schema attributes at `path`. The writer lock (writer_lock.py) is
        taken first, so a second job on the same path is refused, never interleaved.
        """
        path = os.fspath(path)
        lock = WriterLock(path)
        try:
            return cls._create_locked(path, lock, image_shape, crop_regions, crop_size, params, stage, columns)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _create_locked(cls, path, lock, image_shape, crop_regions, crop_size, params, stage, columns):
        if os.path.exists(path):
            raise DatasetError(f"{path}: already exists; open it with DatasetWriter.open to append")
        height, width = (int(v) for v in image_shape)
        columns = {name: _column_dtype(name, dtype) for name, dtype in (columns or {}).items()}
        partial = path + ".partial"
        with h5py.File(partial, "w") as h5:
            h5.attrs["schema_version"] = SCHEMA_VERSION
            h5.attrs["created_by"] = f"facenorm {__version__}"
            h5.attrs["stage"] = stage
            h5.attrs["params"] = json.dumps(params or {}, sort_keys=True)
            for name, (shape, dtype) in fixed_record_datasets((height, width)).items():
                _create_per_record(h5, name, shape, dtype)
            for region in crop_regions:
                _create_per_record(h5, crop_dataset_name(region), (crop_size, crop_size, 3), np.uint8)
            for name, dtype in columns.items():
                _create_per_record(h5, column_dataset_name(name), (), dtype)
            if columns:
                h5[COLUMNS_GROUP].attrs["layout"] = "(N,) one number per record; see the file's stage docs"
            for name, dtype in (("records", RECORD_DTYPE), ("skipped", SKIPPED_DTYPE)):
                h5.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(TABLE_CHUNK_ROWS,))
            _describe(h5)
        os.replace(partial, path)
        return cls.open(path, _lock=lock)

    @classmethod
    def open(cls, path, _lock: Optional[WriterLock] = None) -> "DatasetWriter":
        """Open an existing dataset for appending (taking the writer lock) and drop any
        half-written record."""
        path = os.fspath(path)
        lock = _lock or WriterLock(path)
        try:
            h5 = open_hdf5(path, "a")
        except BaseException:
            lock.release()
            raise
        try:
            with dataset_errors(path, "checking the schema"):
                check_schema(h5, path)
                _truncate_uncommitted(h5)
            return cls(h5, path, lock)
        except BaseException:
            h5.close()
            lock.release()
            raise

    @classmethod
    def reopen_for_job(cls, path, stage: str, params: dict) -> "DatasetWriter":
        """Open a job's existing output to resume it; DatasetError naming both jobs when another
        stage or other arguments wrote it (a resumed job must not mix two runs' records)."""
        writer = cls.open(path)
        stored_stage, stored = writer.stage, writer.params
        if stored_stage != stage or stored != params:
            writer.close()
            raise DatasetError(f"{os.fspath(path)}: exists and was written by a different job (stage "
                                     f"'{stored_stage}', params {stored}); this run has stage '{stage}', params "
                                     f"{params}. Rerun with the same arguments to resume it, or choose another --out")
        return writer

    # -- what is there ---------------------------------------------------------------------
    @property
    def params(self) -> dict:
        return json.loads(self.h5.attrs.get("params", "{}"))

    @property
    def stage(self) -> str:
        return str(self.h5.attrs.get("stage", ""))

    @property
    def image_shape(self) -> tuple:
        return tuple(self.h5["images"].shape[1:3])

    @property
    def crop_regions(self) -> list:
        return sorted(self.h5[CROPS_GROUP]) if CROPS_GROUP in self.h5 else []

    @property
    def columns(self) -> list:
        return sorted(self.h5[COLUMNS_GROUP]) if COLUMNS_GROUP in self.h5 else []

    def __len__(self) -> int:
        return int(self.h5["records"].shape[0])

    def skipped_count(self) -> int:
        return int(self.h5["skipped"].shape[0])

    def sources(self) -> set:
        """Every source already in `records` or `skipped`: the inputs a resumed job must not redo."""
        with dataset_errors(self.path, "reading sources"):
            found = set()
            for name in ("records", "skipped"):
                table = self.h5[name]
                if table.shape[0]:
                    found.update(s.decode("utf-8") if isinstance(s, bytes) else s
                                 for s in table.fields("source")[:])
        return found

    # -- appending -------------------------------------------------------------------------
    def append(self, source: str, image, landmarks: np.ndarray, box, pose, crops: Optional[Dict] = None,
               subject_id: str = "", group: str = "", age_group: str = "", split: str = "",
               parent_id: int = NO_PARENT, params: Optional[dict] = None, columns: Optional[Dict] = None) -> int:
        """Append one record and commit it; returns its id.

        image: uint8 (H, W, 3) RGB or an EncodedChunk of one; landmarks float32 (68, 2) pixels
        of `image`; box (x0, y0, x1, y1) and pose (yaw, pitch, roll degrees) in the original
        photo; crops {region: uint8 (S, S, 3) or EncodedChunk} for exactly the file's regions;
        columns {name: number} for exactly the file's columns.
        """
        if not source:
            raise InputError("append: expected a non-empty source (it is the record's key)")
        crops = crops or {}
        if sorted(crops) != self.crop_regions:
            raise InputError(f"append: expected crops for {self.crop_regions}, got {sorted(crops)}")
        columns = columns or {}
        if sorted(columns) != self.columns:
            raise InputError(f"append: expected columns {self.columns}, got {sorted(columns)}")
        values = {"images": image, "landmarks": landmarks, "boxes": box, "pose": pose}
        values.update({crop_dataset_name(r): c for r, c in crops.items()})
        values.update({column_dataset_name(c): v for c, v in columns.items()})
        # Check every value before growing anything, so a bad call leaves the file untouched.
        values = {name: _checked_row(self.h5[name], value, name) for name, value in values.items()}
        record_id = len(self)
        with dataset_errors(self.path, f"appending record {record_id}"):
            for name, value in values.items():
                _write_row(self.h5[name], record_id, value)
            self.h5.flush()  # the arrays reach the file before the row that commits them
            row = record_row(record_id, source, subject_id, group, age_group, split, parent_id, params)
            _append_row(self.h5["records"], row)
            self.h5.flush()
        return record_id

    def append_skipped(self, source: str, reason: str, error_type: str = "", message: str = "") -> None:
        """Record an input that did not make it, so that it is neither lost nor retried."""
        if not source:
            raise InputError("append_skipped: expected a non-empty source")
        with dataset_errors(self.path, "appending to 'skipped'"):
            _append_row(self.h5["skipped"], skipped_row(source, reason, error_type, message))
            self.h5.flush()

    # -- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        try:
            if self.h5.id.valid:
                self.h5.flush()
                self.h5.close()
        finally:
            if self.lock is not None:
                self.lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _column_dtype(name: str, dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if not name or "/" in name or dtype.kind not in "biuf":
        raise InputError(f"columns: expected names without '/' and bool, integer or float dtypes, "
                         f"got '{name}': {dtype}")
    return dtype


def _create_per_record(h5: h5py.File, name: str, shape: tuple, dtype) -> None:
    is_image = len(shape) == 3
    # Images: one record per chunk, compressed; small arrays: many rows per chunk, raw.
    chunks = (1,) + shape if is_image else (TABLE_CHUNK_ROWS,) + shape
    h5.create_dataset(name, shape=(0,) + shape, maxshape=(None,) + shape, dtype=dtype, chunks=chunks,
                      compression="gzip" if is_image else None,
                      compression_opts=GZIP_LEVEL if is_image else None)


def _describe(h5: h5py.File) -> None:
    """Self-describing attributes, so a file read years later without docs still makes sense."""
    h5["images"].attrs["layout"] = "RGB uint8 (N, H, W, 3); the aligned faces"
    h5["landmarks"].attrs["coordinates"] = "pixels (x, y) of the stored image, iBUG 300-W order, 0-based"
    h5["boxes"].attrs["columns"] = "x0, y0, x1, y1 in pixels of the original photo (x1, y1 exclusive)"
    h5["pose"].attrs["columns"] = "yaw, pitch, roll in degrees, measured on the original photo"


def _checked_row(ds: h5py.Dataset, value, name: str):
    """`value` as what _write_row stores: an EncodedChunk of the right shape, or an ndarray of the
    dataset's shape; float32 datasets take any real numbers (boxes often come as Python floats)."""
    if isinstance(value, EncodedChunk):
        if value.shape != ds.shape[1:] or value.dtype != ds.dtype:
            raise InputError(f"append: '{name}' expected {ds.shape[1:]} {ds.dtype}, "
                             f"got {value.shape} {value.dtype}")
        return value if _stores_raw_chunks(ds) else value.decode()
    value = np.asarray(value)
    if ds.ndim == 1:  # a column: one number; an integer column only takes what it holds exactly
        number = value.shape == () and value.dtype.kind in "biuf"
        exact = number and (ds.dtype.kind == "f" or (value.dtype.kind in "biu" and value.astype(ds.dtype) == value))
        if not exact:
            raise InputError(f"append: '{name}' expected one number that {ds.dtype} holds, got {value!r}")
        return value.astype(ds.dtype)
    if value.shape != ds.shape[1:]:
        raise InputError(f"append: '{name}' expected shape {ds.shape[1:]}, got {value.shape}")
    real = np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)
    if value.dtype != ds.dtype and not (ds.dtype == np.float32 and real):
        raise InputError(f"append: '{name}' expected {ds.dtype}, got {value.dtype}")
    return value


def _write_row(ds: h5py.Dataset, i: int, value) -> None:
    ds.resize(i + 1, axis=0)
    if isinstance(value, EncodedChunk):
        ds.id.write_direct_chunk((i,) + (0,) * (ds.ndim - 1), value.data)
    else:
        ds[i] = value


def _append_row(table: h5py.Dataset, row: np.ndarray) -> None:
    n = table.shape[0]
    table.resize(n + 1, axis=0)
    table[n] = row


def _truncate_uncommitted(h5: h5py.File) -> None:
    """Drop rows written after the last committed record (a job killed mid-record)."""
    for name in ("records", "skipped"):
        table = h5[name]
        table.resize(committed_row_count(table), axis=0)
    n = committed_record_count(h5)
    for name in per_record_dataset_names(h5):
        if h5[name].shape[0] > n:
            h5[name].resize(n, axis=0)
    h5.flush()
