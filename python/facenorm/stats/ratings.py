"""Survey ratings from CSV, and matching them with machine scores by image id.

Rating scale of the paper: 1 = most abnormal ... 7 = almost normal. The machine score S of eq. 6
is larger for more normal faces too, so a good score correlates POSITIVELY with the rating.

The CSV is "long": one row per (image, rater) answer; several rows of one image are averaged.
    image,rater,rating
    img01.jpg,r1,3
    img01.jpg,r2,4
"""
import csv
import math
import os
from dataclasses import dataclass, field
from typing import Dict, List, Union

import numpy as np

from .._core import InputError

__all__ = ["ID_COLUMNS", "RATING_COLUMNS", "IMAGE_EXTENSIONS", "Column", "normalize_id", "RatingsTable",
           "read_ratings_table", "read_ratings_csv", "Alignment", "normalize_keys", "align_scores", "mean_ratings"]

# Header names recognised when no column is named, in order of preference (compared lowercased).
ID_COLUMNS = ("image_id", "image", "id", "file", "filename", "image_name")
RATING_COLUMNS = ("rating", "score", "mean", "mean_rating")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm")

Column = Union[str, int, None]


def normalize_id(image_id) -> str:
    """'faces/img01.JPG' -> 'img01': folder and image extension dropped, so survey ids, file
    names and dataset keys meet. Case is kept (file systems differ on it)."""
    text = str(image_id).strip().replace("\\", "/")
    base = text.rsplit("/", 1)[-1]
    stem, ext = os.path.splitext(base)
    return stem if ext.lower() in IMAGE_EXTENSIONS and stem else base


@dataclass(frozen=True)
class RatingsTable:
    path: str
    means: Dict[str, float]          # normalized image id -> mean rating
    counts: Dict[str, int]           # normalized image id -> number of ratings averaged
    id_column: str                   # header name, or "column N" (1-based) without a header
    rating_column: str
    blank_lines: List[int] = field(default_factory=list)  # rows whose rating cell was empty (skipped)

    def as_dict(self) -> dict:
        return {"path": self.path, "means": dict(self.means), "counts": dict(self.counts),
                "id_column": self.id_column, "rating_column": self.rating_column,
                "blank_lines": list(self.blank_lines)}


def _sniff_dialect(sample: str):
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:  # one column, or too little text to tell: plain commas
        return csv.excel


def _looks_numeric(cell: str) -> bool:
    try:
        float(cell.strip().replace(",", "."))
        return True
    except ValueError:
        return False


def _find_column(header: List[str], wanted: Column, candidates: tuple, kind: str, path: str) -> int:
    names = [h.strip().lower() for h in header]
    if isinstance(wanted, int):
        if not 0 <= wanted < len(header):
            raise InputError(f"{path}: {kind} column index {wanted} is out of range (the file has "
                             f"{len(header)} columns, counted from 0)")
        return wanted
    if wanted is not None:
        if wanted.strip().lower() in names:
            return names.index(wanted.strip().lower())
        raise InputError(f"{path}: no {kind} column named '{wanted}' in the header {header}")
    for name in candidates:
        if name in names:
            return names.index(name)
    raise InputError(f"{path}: could not find the {kind} column in the header {header}; expected one "
                     f"of {', '.join(candidates)}, or pass {kind}_column=NAME")


def _parse_rating(cell: str, delimiter: str, path: str, line: int) -> float:
    text = cell.strip()
    if delimiter != "," and text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # decimal comma of semicolon/tab exports ("4,5")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{path}, line {line}: rating '{cell}' is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{path}, line {line}: rating '{cell}' is not a finite number")
    return value


def read_ratings_table(path, id_column: Column = None, rating_column: Column = None) -> RatingsTable:
    """Read a survey CSV (see the module docstring) into per-image mean ratings and rater counts.

    The header is detected from known names (ID_COLUMNS, RATING_COLUMNS); without one the file
    must have two columns (id, rating) unless columns are given as 0-based indexes. A UTF-8 BOM,
    quoted fields and , ; or tab delimiters are accepted. Rows with an empty rating cell are
    skipped and listed in `blank_lines`; any other unparsable rating raises InputError naming
    the file and line.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise InputError(f"{path}: ratings file not found") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start}); save the CSV as UTF-8") from None
    dialect = _sniff_dialect(text[:8192])
    reader = csv.reader(text.splitlines(keepends=True), dialect)
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise InputError(f"{path}: the ratings file is empty")

    first_line, first = rows[0]
    names = [c.strip().lower() for c in first]
    has_header = (any(n in ID_COLUMNS or n in RATING_COLUMNS for n in names)
                  or isinstance(id_column, str) or isinstance(rating_column, str)
                  or (len(first) >= 2 and not _looks_numeric(first[-1])))
    if has_header:
        id_idx = _find_column(first, id_column, ID_COLUMNS, "id", path)
        rating_idx = _find_column(first, rating_column, RATING_COLUMNS, "rating", path)
        id_name, rating_name, body = first[id_idx].strip(), first[rating_idx].strip(), rows[1:]
    else:
        if (id_column is None or rating_column is None) and len(first) != 2:
            raise InputError(f"{path}, line {first_line}: no header and {len(first)} columns; add a header "
                             "(e.g. image,rating) or pass id_column= and rating_column= as column indexes")
        id_idx = 0 if id_column is None else _find_column(first, id_column, ID_COLUMNS, "id", path)
        rating_idx = 1 if rating_column is None else _find_column(first, rating_column, RATING_COLUMNS,
                                                                  "rating", path)
        id_name, rating_name, body = f"column {id_idx + 1}", f"column {rating_idx + 1}", rows
    if not body:
        raise InputError(f"{path}: the ratings file has a header but no rows")

    sums: Dict[str, float] = {}
    counts: Dict[str, int] = {}
    blank_lines = []
    for line, row in body:
        if max(id_idx, rating_idx) >= len(row):
            raise InputError(f"{path}, line {line}: expected at least {max(id_idx, rating_idx) + 1} "
                             f"columns, got {len(row)}")
        image_id = normalize_id(row[id_idx])
        if not image_id:
            raise InputError(f"{path}, line {line}: empty image id")
        if not row[rating_idx].strip():
            blank_lines.append(line)  # a rater who skipped this image; listed, not averaged
            continue
        value = _parse_rating(row[rating_idx], dialect.delimiter, path, line)
        sums[image_id] = sums.get(image_id, 0.0) + value
        counts[image_id] = counts.get(image_id, 0) + 1
    if not counts:
        raise InputError(f"{path}: no ratings: every rating cell is empty")
    means = {k: sums[k] / counts[k] for k in sums}
    return RatingsTable(path, means, counts, id_name, rating_name, blank_lines)


def read_ratings_csv(path, id_column: Column = None, rating_column: Column = None) -> Dict[str, float]:
    """Image id (normalized, see normalize_id) -> mean rating over raters. See read_ratings_table."""
    return read_ratings_table(path, id_column, rating_column).means


@dataclass(frozen=True)
class Alignment:
    ids: List[str]               # matched ids, sorted
    scores: np.ndarray           # float64, in the order of ids
    ratings: np.ndarray
    missing_ratings: List[str]   # scored but not rated
    missing_scores: List[str]    # rated but not scored

    def as_dict(self) -> dict:
        return {"ids": list(self.ids), "scores": self.scores.tolist(), "ratings": self.ratings.tolist(),
                "missing_ratings": list(self.missing_ratings), "missing_scores": list(self.missing_scores)}


def normalize_keys(values: dict, what: str) -> Dict[str, float]:
    """{id: number} -> {normalize_id(id): float}; two ids meeting on one stem raise InputError."""
    out: Dict[str, float] = {}
    origin: Dict[str, str] = {}
    for key, value in values.items():
        norm = normalize_id(key)
        if norm in out:
            raise InputError(f"{what}: ids '{origin[norm]}' and '{key}' both normalize to '{norm}'; "
                             "rename one so each image has one id")
        out[norm], origin[norm] = float(value), str(key)
    return out


def align_scores(scores: dict, ratings: dict) -> Alignment:
    """Match machine scores and ratings by normalized id. Ids present on one side only are
    returned (never dropped silently) so callers can warn about them."""
    s, r = normalize_keys(scores, "scores"), normalize_keys(ratings, "ratings")
    ids = sorted(s.keys() & r.keys())
    return Alignment(ids,
                     np.array([s[i] for i in ids], dtype=np.float64),
                     np.array([r[i] for i in ids], dtype=np.float64),
                     sorted(s.keys() - r.keys()), sorted(r.keys() - s.keys()))


def mean_ratings(ratings: Union[dict, str, os.PathLike, RatingsTable]) -> Dict[str, float]:
    """A ratings dict, a RatingsTable or a CSV path -> image id -> mean rating."""
    if isinstance(ratings, RatingsTable):
        return ratings.means
    if isinstance(ratings, (str, os.PathLike)):
        return read_ratings_csv(ratings)
    if isinstance(ratings, dict):
        return ratings
    raise InputError(f"ratings: expected a dict, a RatingsTable or a CSV path, got {type(ratings).__name__}")

