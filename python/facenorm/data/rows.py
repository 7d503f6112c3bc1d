"""Converting `records` / `skipped` table rows between h5py's structured arrays and dicts."""
import json

import numpy as np

from .schema import RECORD_DTYPE, SKIPPED_DTYPE

__all__ = ["record_from_row", "skipped_from_row", "record_row", "skipped_row"]


def _text(value) -> str:
    # h5py returns variable-length strings inside compound rows as bytes.
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def record_from_row(row) -> dict:
    """A `records` row as a dict of Python values; `params` parsed from JSON."""
    params = _text(row["params"])
    return {
        "id": int(row["id"]),
        "source": _text(row["source"]),
        "subject_id": _text(row["subject_id"]),
        "group": _text(row["group"]),
        "age_group": _text(row["age_group"]),
        "split": _text(row["split"]),
        "parent_id": int(row["parent_id"]),
        "params": json.loads(params) if params else {},
    }


def skipped_from_row(row) -> dict:
    return {name: _text(row[name]) for name in SKIPPED_DTYPE.names}


def record_row(record_id: int, source: str, subject_id: str, group: str, age_group: str, split: str,
               parent_id: int, params: dict) -> np.ndarray:
    row = np.zeros((), dtype=RECORD_DTYPE)
    row["id"], row["parent_id"] = record_id, parent_id
    row["source"], row["subject_id"], row["group"] = source, subject_id, group
    row["age_group"], row["split"] = age_group, split
    row["params"] = json.dumps(params or {}, sort_keys=True)
    return row


def skipped_row(source: str, reason: str, error_type: str, message: str) -> np.ndarray:
    row = np.zeros((), dtype=SKIPPED_DTYPE)
    row["source"], row["reason"], row["error_type"], row["message"] = source, reason, error_type, message
    return row
