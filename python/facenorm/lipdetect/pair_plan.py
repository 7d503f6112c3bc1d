"""Which records a pairs file holds, in which order and split: the plan `build_pairs` writes.

It is computed from finished input files before anything is written, so a restarted job sees
the same plan and only writes what is missing. Every input record appears exactly once: as a
planned record, or as a skipped one with the reason (so nothing is dropped silently).
"""
import hashlib
import os
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .._core import InputError
from .pair_sources import SourceTables

__all__ = ["NORMAL", "ABNORMAL", "SPLITS", "CONTROL_GROUP", "NOT_NORMALIZED", "UNPAIRED", "EXTRA_COPY", "Planned",
           "Skipped", "record_key", "identity_of", "dev_draw", "identity_splits", "make_plan"]

NORMAL, ABNORMAL = 0, 1
SPLITS = ("train", "dev", "test")
CONTROL_GROUP = "control"

# Why an input record is not in the pairs file (the `reason` column of `skipped`).
NOT_NORMALIZED = "not_normalized"   # its normalize job refused it (normalizer_refused)
UNPAIRED = "unpaired"               # a control without a usable copy, or a copy of an unusable control
EXTRA_COPY = "extra_copy"           # a copy after its control's first one (one copy per control)


@dataclass(frozen=True)
class Planned:
    """One record of the pairs file and where its face comes from."""
    key: str                  # the record's source column: "<input file>#<record index>"
    source_index: int         # which PairSource (position in the file's params["sources"])
    file: str                 # prepare or synth file holding the un-normalized face
    index: int                # record index in `file` (the pairs record's parent_id)
    normalized_file: str
    normalized_index: int
    label: int
    group: str
    split: str
    subject_id: str
    age_group: str
    identity: str
    control: Optional[Tuple[str, int]] = None  # (prepared file, index) of a transformed record's control


@dataclass(frozen=True)
class Skipped:
    key: str
    reason: str
    message: str


def record_key(path: str, index: int) -> str:
    return f"{path}#{index}"


def identity_of(table, i: int) -> str:
    """The person: subject_id, or the photo (source) when no subject is known."""
    return table.rows["subject_id"][i] or table.rows["source"][i]


def _hash_key(table, i: int) -> str:
    # The photo's file name, not its absolute path, so that the split does not depend on where
    # the data lives (the same data on another machine gets the same splits).
    return table.rows["subject_id"][i] or os.path.basename(table.rows["source"][i])


def dev_draw(hash_key: str, seed: int) -> float:
    """A uniform number in [0, 1) fixed by (identity, seed)."""
    digest = hashlib.sha256(f"{seed}\0{hash_key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def identity_splits(sources: List[SourceTables], dev_fraction: float, seed: int) -> Dict[str, str]:
    """identity -> split. Test: any of its controls carries split `test`, or it appears in an
    abnormal-only source (test material); else dev with probability dev_fraction, else train."""
    test, hash_keys = set(), {}
    for s in sources:
        table = s.prepared
        # an abnormal source of transformed copies makes test material only of the faces it copied
        used = set(s.transformed.rows["parent_id"].tolist()) if s.source.abnormal_only and s.transformed else None
        for i in range(len(table)):
            identity = identity_of(table, i)
            hash_keys.setdefault(identity, _hash_key(table, i))
            if table.rows["split"][i] == "test" or (s.source.abnormal_only and (used is None or i in used)):
                test.add(identity)
    return {identity: "test" if identity in test else ("dev" if dev_draw(key, seed) < dev_fraction else "train")
            for identity, key in hash_keys.items()}


def _balanced(k: int, s: SourceTables, splits: Dict[str, str], planned: list, skipped: list) -> None:
    """Each control with its first written, normalized copy; the rest skipped with the reason."""
    prepared, transformed = s.prepared, s.transformed
    normalized = {p: js[0] for p, js in s.normalized.children().items()}
    normalized_copy = {p: js[0] for p, js in s.normalized_transformed.children().items()}
    copies = transformed.children()
    for i in range(len(prepared)):
        identity = identity_of(prepared, i)
        common = dict(split=splits[identity], subject_id=prepared.rows["subject_id"][i],
                      age_group=prepared.rows["age_group"][i], identity=identity)
        mine = copies.get(i, [])
        usable = [j for j in mine if j in normalized_copy]
        for j in mine:
            if j not in normalized_copy:
                skipped.append(Skipped(record_key(transformed.path, j), NOT_NORMALIZED,
                                       f"{s.normalized_transformed.path} skipped it"))
        if i not in normalized:
            skipped.append(Skipped(record_key(prepared.path, i), NOT_NORMALIZED, f"{s.normalized.path} skipped it"))
            skipped += [Skipped(record_key(transformed.path, j), UNPAIRED, "its control was not normalized")
                        for j in usable]
            continue
        if not usable:
            skipped.append(Skipped(record_key(prepared.path, i), UNPAIRED,
                                   f"no transformed copy of it was written and normalized ({transformed.path})"))
            continue
        first = usable[0]
        planned.append(Planned(record_key(prepared.path, i), k, prepared.path, i, s.normalized.path, normalized[i],
                               NORMAL, CONTROL_GROUP, control=None, **common))
        planned.append(Planned(record_key(transformed.path, first), k, transformed.path, first,
                               s.normalized_transformed.path, normalized_copy[first], ABNORMAL,
                               transformed.rows["group"][first], control=(prepared.path, i), **common))
        skipped += [Skipped(record_key(transformed.path, j), EXTRA_COPY, f"the pair uses copy {first}")
                    for j in usable[1:]]


def _abnormal(k: int, s: SourceTables, splits: Dict[str, str], planned: list, skipped: list) -> None:
    """Every record abnormal: the transformed copies when the source has them, else the photos."""
    prepared = s.prepared
    faces, norm = (s.transformed, s.normalized_transformed) if s.transformed else (prepared, s.normalized)
    normalized = {p: js[0] for p, js in norm.children().items()}
    for j in range(len(faces)):
        i = int(faces.rows["parent_id"][j]) if s.transformed else j  # the prepared record
        if j not in normalized:
            skipped.append(Skipped(record_key(faces.path, j), NOT_NORMALIZED, f"{norm.path} skipped it"))
            continue
        identity = identity_of(prepared, i)
        group = faces.rows["group"][j] or s.source.tag
        planned.append(Planned(record_key(faces.path, j), k, faces.path, j, norm.path, normalized[j], ABNORMAL,
                               group, split=splits[identity], subject_id=prepared.rows["subject_id"][i],
                               age_group=prepared.rows["age_group"][i], identity=identity,
                               control=(prepared.path, i) if s.transformed else None))


def make_plan(sources: List[SourceTables], dev_fraction: float, seed: int) -> Tuple[List[Planned], List[Skipped]]:
    splits = identity_splits(sources, dev_fraction, seed)
    planned, skipped = [], []
    for k, s in enumerate(sources):
        (_abnormal if s.source.abnormal_only else _balanced)(k, s, splits, planned, skipped)
    twice = [key for key, n in Counter([p.key for p in planned] + [s.key for s in skipped]).items() if n > 1]
    if twice:
        raise InputError(f"the sources use the same input record twice (e.g. {twice[0]}); give each prepared "
                         f"file once as a balanced source, and further synth files of it as abnormal_only")
    return planned, skipped
