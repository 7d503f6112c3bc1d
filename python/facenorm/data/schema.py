"""The HDF5 dataset schema (docs/datasets.md): names, dtypes, shapes, and the check on open.

One file per dataset stage. Per-record datasets share their first axis N with the `records`
table; a `records` row is the commit marker of a record, so anything longer than `records` is
a half-written tail that readers ignore and writers truncate.
"""
import json

import h5py
import numpy as np

from .._core import DatasetError

__all__ = ["SCHEMA_VERSION", "GZIP_LEVEL", "DEFAULT_CROP_SIZE", "NO_PARENT", "RECORD_DTYPE", "SKIPPED_DTYPE",
           "RECORD_STRING_FIELDS", "SKIPPED_STRING_FIELDS", "LANDMARKS_SHAPE", "REQUIRED_TABLES", "CROPS_GROUP",
           "COLUMNS_GROUP", "fixed_record_datasets", "crop_dataset_name", "column_dataset_name",
           "per_record_dataset_names", "committed_row_count", "committed_record_count", "check_schema"]

SCHEMA_VERSION = 1
GZIP_LEVEL = 4
DEFAULT_CROP_SIZE = 224
NO_PARENT = -1  # parent_id of a record that was not derived from another stage's record

_STR = h5py.string_dtype(encoding="utf-8")

# One row per record. Strings are variable-length UTF-8 (plain h5py reads them as bytes).
RECORD_DTYPE = np.dtype([
    ("id", np.int64),           # row index, stable: later stages refer to it as parent_id
    ("source", _STR),           # absolute path of the input image (the resume key)
    ("subject_id", _STR),
    ("group", _STR),
    ("age_group", _STR),
    ("split", _STR),
    ("parent_id", np.int64),    # id in the previous stage's file, or -1
    ("params", _STR),           # JSON: how this record was made
])

# One row per input that did not make it, so no input is lost silently.
SKIPPED_DTYPE = np.dtype([
    ("source", _STR),
    ("reason", _STR),           # unreadable, no_face, pose_out_of_range, bad_landmarks, failed
    ("error_type", _STR),       # facenorm exception class name, "" when not an exception
    ("message", _STR),
])

RECORD_STRING_FIELDS = ("source", "subject_id", "group", "age_group", "split", "params")
SKIPPED_STRING_FIELDS = ("source", "reason", "error_type", "message")

LANDMARKS_SHAPE = (68, 2)
REQUIRED_TABLES = ("records", "skipped")
CROPS_GROUP = "crops"
COLUMNS_GROUP = "columns"  # optional (N,) numeric datasets, one value per record (e.g. a label)


def fixed_record_datasets(image_shape):
    """name -> (per-record shape, dtype) for the datasets every file has."""
    return {
        "images": (tuple(image_shape) + (3,), np.uint8),
        "landmarks": (LANDMARKS_SHAPE, np.float32),
        "boxes": ((4,), np.float32),
        "pose": ((3,), np.float32),
    }


def crop_dataset_name(region: str) -> str:
    return f"{CROPS_GROUP}/{region}"


def column_dataset_name(column: str) -> str:
    return f"{COLUMNS_GROUP}/{column}"


def per_record_dataset_names(h5: h5py.File) -> list:
    """Every dataset whose first axis is the record index, crops and columns included."""
    names = [n for n in ("images", "landmarks", "boxes", "pose") if n in h5]
    if CROPS_GROUP in h5:
        names += [crop_dataset_name(r) for r in sorted(h5[CROPS_GROUP])]
    if COLUMNS_GROUP in h5:
        names += [column_dataset_name(c) for c in sorted(h5[COLUMNS_GROUP])]
    return names


def committed_row_count(table: h5py.Dataset) -> int:
    """Rows of `records` or `skipped` up to the last one with a source; a trailing row without
    one was resized into the table but never written (a kill between the two steps)."""
    n = table.shape[0]
    while n > 0 and not table[n - 1]["source"]:
        n -= 1
    return n


def committed_record_count(h5: h5py.File) -> int:
    return committed_row_count(h5["records"])


def check_schema(h5: h5py.File, path) -> None:
    """Raise DatasetError naming `path` and what was expected unless `h5` follows the schema."""
    expected = "a facenorm dataset file (see docs/datasets.md)"
    if "schema_version" not in h5.attrs:
        raise DatasetError(f"{path}: no 'schema_version' attribute; expected {expected}")
    version = int(h5.attrs["schema_version"])
    if version > SCHEMA_VERSION:
        raise DatasetError(f"{path}: schema_version {version} is newer than this facenorm reads "
                           f"({SCHEMA_VERSION}); upgrade facenorm")
    try:
        json.loads(h5.attrs.get("params", "{}"))
    except (TypeError, ValueError):
        raise DatasetError(f"{path}: the 'params' attribute is not JSON") from None
    for name in REQUIRED_TABLES + ("images", "landmarks", "boxes", "pose"):
        if name not in h5 or not isinstance(h5[name], h5py.Dataset):
            raise DatasetError(f"{path}: dataset '{name}' is missing; expected {expected}")
    for name, dtype in (("records", RECORD_DTYPE), ("skipped", SKIPPED_DTYPE)):
        missing = set(dtype.names) - set(h5[name].dtype.names or ())
        if missing:
            raise DatasetError(f"{path}: table '{name}' lacks fields {sorted(missing)}")
    image_shape = h5["images"].shape[1:3]
    for name, (shape, dtype) in fixed_record_datasets(image_shape).items():
        ds = h5[name]
        if ds.shape[1:] != shape or ds.dtype != dtype:
            raise DatasetError(f"{path}: dataset '{name}' has shape {ds.shape} {ds.dtype}; expected "
                               f"(N,) + {shape} {np.dtype(dtype)}")
    n = committed_record_count(h5)
    for name in per_record_dataset_names(h5):
        if h5[name].shape[0] < n:
            raise DatasetError(f"{path}: dataset '{name}' has {h5[name].shape[0]} rows but 'records' "
                               f"has {n}; the file was changed outside facenorm")
