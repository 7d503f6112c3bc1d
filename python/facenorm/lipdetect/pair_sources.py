"""The inputs of the pairs stage: `PairSource` (one prepared file and the files made from it) and
the checked tables of those files (stage, which file each was made from, finished or not)."""
import json
import os
import re
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional

import numpy as np

from .._core import DatasetError, InputError
from ..data.hdf5_files import dataset_errors, open_hdf5
from ..data.schema import check_schema, committed_record_count, committed_row_count

__all__ = ["TAG_PATTERN", "RECORD_FIELDS", "PairSource", "Table", "read_table", "derived_table", "SourceTables",
           "load_source"]

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
RECORD_FIELDS = ("source", "subject_id", "group", "age_group", "split", "parent_id")


@dataclass(frozen=True)
class PairSource:
    """One prepared file and the files made from it.

    Balanced (abnormal_only False): every control of `prepared` that has a written transformed
    copy in `transformed` is kept with its first such copy (labels 0 and 1, same split).
    Needs `normalized` (the normalize output of `prepared`), `transformed` (a synth output of
    `prepared`) and `normalized_transformed` (the normalize output of `transformed`).

    abnormal_only: test material, every record label 1 and split `test`: the copies in
    `transformed` when it is given (e.g. faces transformed with the real cleft shapes; needs
    `normalized_transformed`), else the records of `prepared` themselves (e.g. photos of
    patients; needs `normalized`). Required `tag` names its subset `test_<tag>`; on a balanced
    source a tag names the subset of its test records.
    """
    prepared: str
    normalized: Optional[str] = None
    transformed: Optional[str] = None
    normalized_transformed: Optional[str] = None
    abnormal_only: bool = False
    tag: str = ""

    def __post_init__(self):
        for name in ("prepared", "normalized", "transformed", "normalized_transformed"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, os.path.abspath(os.fspath(value)))
        if self.tag and not TAG_PATTERN.match(self.tag):
            raise InputError(f"PairSource tag: expected lower-case letters, digits, '_' or '-', got '{self.tag}'")
        needed = self._needed()
        missing = [n for n in needed if getattr(self, n) is None]
        if missing:
            raise InputError(f"PairSource({self.prepared}): expected {', '.join(missing)} "
                             f"({self.kind()} source)")
        if self.abnormal_only and not self.tag:
            raise InputError(f"PairSource({self.prepared}): an abnormal_only source needs a tag (its subset "
                             f"is test_<tag>)")
        if self.transformed is None and self.normalized_transformed is not None:
            raise InputError(f"PairSource({self.prepared}): normalized_transformed given without transformed")

    def _needed(self) -> tuple:
        if not self.abnormal_only:
            return ("normalized", "transformed", "normalized_transformed")
        return ("normalized_transformed",) if self.transformed else ("normalized",)

    def kind(self) -> str:
        if not self.abnormal_only:
            return "balanced"
        return "abnormal transformed" if self.transformed else "abnormal photos"

    def to_params(self) -> dict:
        return asdict(self)


@dataclass
class Table:
    """What the plan needs of one input file, read once: its records' string fields and
    parent ids (never the `params` JSON), its job params and how many inputs it covered."""
    path: str
    stage: str
    params: dict
    rows: Dict[str, np.ndarray]   # RECORD_FIELDS -> (N,) arrays, strings decoded
    skipped: int

    def __len__(self) -> int:
        return len(self.rows["parent_id"])

    def children(self) -> Dict[int, List[int]]:
        """parent_id -> this file's record indices derived from it, in record order."""
        found: Dict[int, List[int]] = {}
        for j, parent in enumerate(self.rows["parent_id"].tolist()):
            found.setdefault(parent, []).append(j)
        return found


def _decoded(values) -> np.ndarray:
    return np.array([v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values], dtype=object)


def read_table(path: str, stage: str, role: str) -> Table:
    """The file's records table; DatasetError unless it is a facenorm file of `stage`."""
    with open_hdf5(path, "r") as h5:
        with dataset_errors(path, "reading the records"):
            check_schema(h5, path)
            found = str(h5.attrs.get("stage", ""))
            if found != stage:
                raise DatasetError(f"{path}: is a '{found}' stage file; expected the '{stage}' output for {role}")
            n = committed_record_count(h5)
            rows = h5["records"].fields(list(RECORD_FIELDS))[:n]
            skipped = committed_row_count(h5["skipped"])
            params = json.loads(h5.attrs.get("params", "{}"))
    columns = {f: (rows[f].astype(np.int64) if f == "parent_id" else _decoded(rows[f])) for f in RECORD_FIELDS}
    return Table(path, stage, params, columns, skipped)


def derived_table(path: str, stage: str, parent: Table, role: str) -> Table:
    """A synth or normalize output of `parent`: made from it, and finished (every parent record
    in its records or skipped), so the plan does not change when the job later completes."""
    table = read_table(path, stage, role)
    made_from = table.params.get("source")
    if made_from != parent.path:
        raise DatasetError(f"{path}: was made from {made_from}; expected the {stage} output of {parent.path}")
    expected = len(parent) * int(table.params.get("per_record", 1))
    if len(table) + table.skipped != expected:
        raise DatasetError(f"{path}: covers {len(table) + table.skipped} of the {expected} inputs from "
                           f"{parent.path}; the {stage} job has not finished. Rerun it with the same arguments "
                           f"(it resumes), then build the pairs")
    return table


@dataclass
class SourceTables:
    """The checked tables of one PairSource; None where the source has no such file."""
    source: PairSource
    prepared: Table
    normalized: Optional[Table]
    transformed: Optional[Table]
    normalized_transformed: Optional[Table]

    @property
    def normalizer(self) -> str:
        """The normalizer spec of this source's normalize outputs (one spec per source)."""
        specs = {t.params.get("normalizer", "") for t in (self.normalized, self.normalized_transformed) if t}
        if len(specs) > 1:
            raise InputError(f"{self.source.prepared}: its files were normalized by different normalizers "
                             f"{sorted(specs)}; expected one")
        return specs.pop()


def load_source(source: PairSource) -> SourceTables:
    prepared = read_table(source.prepared, "prepare", "prepared")
    transformed = (derived_table(source.transformed, "synth", prepared, "transformed")
                   if source.transformed else None)
    normalized = (derived_table(source.normalized, "normalize", prepared, "normalized")
                  if source.normalized else None)
    normalized_transformed = (derived_table(source.normalized_transformed, "normalize", transformed,
                                            "normalized_transformed") if transformed is not None else None)
    return SourceTables(source, prepared, normalized, transformed, normalized_transformed)
