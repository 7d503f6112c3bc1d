"""Table 1 of the PLOS ONE 2023 paper on your own faces: Pearson r x 100 between the machine
score and the mean human rating, per heatmap method (rows) x region and variant (columns).

    table = ablation_table(pairs, "survey.csv")     # pairs: .id .original .normalized .landmarks
    print(table.to_markdown()); table.to_csv("table1.csv")

Each heatmap is computed once per (face, method, variant) and scored in every region.
"""
import csv
import math
import os
import sys
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from .._core import InputError, ModelError
from .agreement import pearson
from .ratings import mean_ratings, normalize_id, normalize_keys

__all__ = ["VARIANTS", "VARIANT_TITLES", "REGION_TITLES", "METHOD_TITLES", "MethodUnavailable", "AblationCell",
           "AblationTable", "default_functions", "ablation_table"]

# Table 1 columns: variant -> (colour space, erosion size)
VARIANTS = {"base": ("rgb", 0), "ycbcr": ("ycbcr", 0), "erosion": ("rgb", 3), "both": ("ycbcr", 3)}
VARIANT_TITLES = {"base": "Base", "ycbcr": "+YCbCr", "erosion": "+Erosion", "both": "+Both"}
REGION_TITLES = {"mouth_nose": "Mouth only", "face_no_eyes": "Entire face", "mouth": "Mouth", "lip": "Lip"}
METHOD_TITLES = {"lpips": "LPIPS", "pse": "PSE", "ssim": "SSIM", "deep": "Deep features"}


class MethodUnavailable(RuntimeError):
    """Raise from a heatmap function when a method cannot run here (weights not fetched, ...):
    the table shows its row as n/a with the message instead of stopping."""


@dataclass(frozen=True)
class AblationCell:
    method: str
    region: str
    variant: str
    colour: str
    erosion: int
    n: int                       # faces with both a score and a rating
    r: float                     # Pearson r in [-1, 1]; NaN when unavailable
    ci_low: float
    ci_high: float
    p_value: float
    unavailable: Optional[str] = None  # why there is no r (method unavailable, constant scores ...)

    @property
    def available(self) -> bool:
        return self.unavailable is None

    @property
    def r100(self) -> float:
        """r x 100, the unit of the paper's Table 1."""
        return 100.0 * self.r

    def as_dict(self) -> dict:
        return {**asdict(self), "r_x100": self.r100}


def _title(titles: dict, key: str) -> str:
    return titles.get(key, key)


class AblationTable:
    """The cells of one run, with the per-face scores behind them (for scatter plots)."""

    def __init__(self, methods, regions, variants, cells, ids, ratings, scores,
                 unrated, unscored, confidence, notes=()):
        self.methods, self.regions, self.variants = tuple(methods), tuple(regions), tuple(variants)
        self.cells: tuple = tuple(cells)
        self.ids: List[str] = list(ids)                 # faces used, in score order
        self.ratings: np.ndarray = ratings              # their mean ratings
        self.scores: Dict[tuple, np.ndarray] = scores   # (method, region, variant) -> scores
        self.unrated: List[str] = list(unrated)         # pairs without a rating (not used)
        self.unscored: List[str] = list(unscored)       # rated ids without a pair (not used)
        self.confidence = confidence
        self.notes: List[str] = list(notes)
        self._by_key = {(c.method, c.region, c.variant): c for c in self.cells}

    def cell(self, method: str, region: str, variant: str) -> AblationCell:
        return self._by_key[(method, region, variant)]

    def as_dict(self) -> dict:
        return {"cells": [c.as_dict() for c in self.cells], "ids": self.ids,
                "ratings": self.ratings.tolist(), "unrated": self.unrated, "unscored": self.unscored,
                "confidence": self.confidence, "notes": self.notes}

    def _format(self, cell: AblationCell, ci: bool) -> str:
        if not cell.available:
            return "n/a"
        text = f"{cell.r100:.1f}"
        return f"{text} [{100 * cell.ci_low:.1f}, {100 * cell.ci_high:.1f}]" if ci else text

    def to_markdown(self, ci: bool = False, corner: str = "") -> str:
        """The paper's layout: a row per method, a column group per region with a column per
        variant. ci=True adds the Fisher z interval to each cell. Notes follow the table."""
        width = len(self.variants)
        group = [corner] + [t for reg in self.regions for t in [_title(REGION_TITLES, reg)] + [""] * (width - 1)]
        sub = [""] + [_title(VARIANT_TITLES, v) for _ in self.regions for v in self.variants]
        lines = [f"Pearson r x 100 between the machine score and the mean human rating "
                 f"(n = {len(self.ids)} faces{', ' + format(self.confidence, '.0%') + ' CI' if ci else ''}).",
                 "",
                 "| " + " | ".join(group) + " |",
                 "|" + "---|" * len(group),
                 "| " + " | ".join(sub) + " |"]
        for m in self.methods:
            row = [_title(METHOD_TITLES, m)]
            row += [self._format(self.cell(m, reg, v), ci) for reg in self.regions for v in self.variants]
            lines.append("| " + " | ".join(row) + " |")
        lines += self._footnotes()
        return "\n".join(lines) + "\n"

    def _footnotes(self) -> List[str]:
        notes, seen = [], set()
        for c in self.cells:
            if c.unavailable and (c.method, c.unavailable) not in seen:
                seen.add((c.method, c.unavailable))
                where = "" if c.unavailable.startswith("method unavailable") else \
                    f" ({_title(REGION_TITLES, c.region)}, {_title(VARIANT_TITLES, c.variant)})"
                notes.append(f"- n/a {_title(METHOD_TITLES, c.method)}{where}: {c.unavailable}")
        notes += [f"- {n}" for n in self.notes]
        if self.unrated:
            notes.append(f"- {len(self.unrated)} face(s) without a rating, not used: {', '.join(self.unrated)}")
        if self.unscored:
            notes.append(f"- {len(self.unscored)} rated image(s) without a face pair, not used: "
                         f"{', '.join(self.unscored)}")
        return [""] + notes if notes else []

    def to_csv(self, path) -> None:
        """One row per cell (long format); written to a temporary file and renamed into place."""
        path = os.fspath(path)
        fields = ["method", "region", "variant", "colour", "erosion", "n", "r", "r_x100",
                  "ci_low", "ci_high", "p_value", "confidence", "unavailable"]
        tmp = path + ".tmp"
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            for c in self.cells:
                row = c.as_dict()
                row["confidence"] = self.confidence
                row["unavailable"] = c.unavailable or ""
                writer.writerow({k: row[k] for k in fields})
        os.replace(tmp, path)


# ---------------------------------------------------------------- default wiring

def default_functions() -> tuple:
    """(heatmap_fn, score_fn, mask_fn) from facenorm: anomaly_heatmap, anomaly_score, region_mask.

    Imported here, from their defining modules, not at module load, so the statistics work
    without the scoring code. The paper's "lpips" row maps to facenorm's LPIPS-like
    deep-feature distance ("deep") unless facenorm knows "lpips" itself; pass
    methods=("lpips:PATH", ...) for the official LPIPS.
    """
    from .._core import region_mask
    from ..score.heatmaps import METHODS, anomaly_heatmap
    from ..score.scoring import anomaly_score

    aliases = {"lpips": "deep"} if "lpips" not in METHODS and "deep" in METHODS else {}

    def heatmap_fn(original, normalized, method, colour, erosion):
        return anomaly_heatmap(original, normalized, method=aliases.get(method, method),
                               colour=colour, erosion=erosion)

    heatmap_fn.method_notes = {k: f"{_title(METHOD_TITLES, k)} row: facenorm's method '{v}' (LPIPS-like "
                                  "deep features); pass 'lpips:PATH' for the official LPIPS"
                               for k, v in aliases.items()}
    return heatmap_fn, anomaly_score, region_mask


# ---------------------------------------------------------------- the runner

def _progress(pairs, enabled: bool):
    if not enabled:
        return pairs
    try:
        from tqdm import tqdm
    except ImportError:  # progress is a nicety; tqdm is optional
        return pairs
    total = len(pairs) if hasattr(pairs, "__len__") else None
    return tqdm(pairs, total=total, desc="Table 1", unit="face", file=sys.stderr)


def _cell(method, region, variant, scores, ratings, confidence, unavailable):
    colour, erosion = VARIANTS[variant]
    if unavailable is None:
        bad = int(np.count_nonzero(~np.isfinite(scores)))
        if bad:
            unavailable = f"{bad} machine score(s) are NaN or infinite"
        elif np.all(scores == scores[0]):
            unavailable = f"every machine score equals {scores[0]:g}, so r is undefined"
    if unavailable is not None:
        nan = math.nan
        return AblationCell(method, region, variant, colour, erosion, len(ratings), nan, nan, nan, nan, unavailable)
    c = pearson(scores, ratings, confidence)
    return AblationCell(method, region, variant, colour, erosion, c.n, c.r, c.ci_low, c.ci_high, c.p_value)


def ablation_table(pairs, ratings, heatmap_fn: Optional[Callable] = None, score_fn: Optional[Callable] = None,
                   mask_fn: Optional[Callable] = None, methods: Sequence[str] = ("lpips", "pse", "ssim"),
                   regions: Sequence[str] = ("mouth_nose", "face_no_eyes"),
                   variants: Sequence[str] = ("base", "ycbcr", "erosion", "both"),
                   confidence: float = 0.95, progress: bool = True,
                   unavailable_errors: tuple = (MethodUnavailable, ModelError, ImportError)) -> AblationTable:
    """Score every rated face pair with every method x variant x region and correlate with the ratings.

    pairs: iterable (read once) of objects with .id, .original and .normalized (uint8 H x W x 3)
    and .landmarks (68 x 2 float32). ratings: {image id: mean rating}, a RatingsTable or a CSV
    path; ids are matched after normalize_id. The functions (default: default_functions()):
      heatmap_fn(original, normalized, method=, colour=, erosion=) -> heatmap
      mask_fn(landmarks, (H, W), region) -> float32 mask;  score_fn(heatmap, mask) -> float
    A heatmap_fn raising one of unavailable_errors marks that method n/a (with the reason).
    """
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise InputError(f"variants: unknown {unknown}; expected some of {', '.join(VARIANTS)}")
    if heatmap_fn is None or score_fn is None or mask_fn is None:
        defaults = default_functions()
        heatmap_fn, score_fn, mask_fn = (given or default for given, default in
                                         zip((heatmap_fn, score_fn, mask_fn), defaults))
    rated = normalize_keys(mean_ratings(ratings), "ratings")
    keys = [(m, reg, v) for m in methods for reg in regions for v in variants]
    scores: Dict[tuple, list] = {k: [] for k in keys}
    unavailable: Dict[str, str] = {}
    ids, used_ratings, unrated, seen = [], [], [], set()

    for pair in _progress(pairs, progress):
        pid = normalize_id(pair.id)
        if pid in seen:
            raise InputError(f"pairs: id '{pair.id}' appears twice (as '{pid}' after normalize_id)")
        seen.add(pid)
        if pid not in rated:
            unrated.append(pid)
            continue
        try:
            masks = {reg: mask_fn(pair.landmarks, pair.original.shape[:2], reg) for reg in regions}
            for m in methods:
                for v in variants if m not in unavailable else ():
                    colour, erosion = VARIANTS[v]
                    try:
                        heat = heatmap_fn(pair.original, pair.normalized, method=m, colour=colour, erosion=erosion)
                    except unavailable_errors as e:
                        unavailable[m] = f"method unavailable: {type(e).__name__}: {e}"
                        break
                    for reg in regions:
                        scores[(m, reg, v)].append(float(score_fn(heat, masks[reg])))
        except Exception as e:  # name the face; the error itself is kept as raised
            if hasattr(e, "add_note"):
                e.add_note(f"while scoring face pair '{pair.id}' for the ablation table")
            raise
        ids.append(pid)
        used_ratings.append(rated[pid])

    unscored = sorted(rated.keys() - seen)
    if len(ids) < 3:
        raise InputError(f"only {len(ids)} face pair(s) have a rating; Pearson's r needs 3 or more "
                         f"(pairs without rating: {unrated[:10]}, ratings without pair: {unscored[:10]})")
    rating_arr = np.asarray(used_ratings, dtype=np.float64)
    if np.all(rating_arr == rating_arr[0]):
        raise InputError(f"all {len(ids)} mean ratings equal {rating_arr[0]:g}: no correlation can be measured")

    score_arrays = {k: np.asarray(s, dtype=np.float64) for k, s in scores.items() if k[0] not in unavailable}
    cells = [_cell(m, reg, v, score_arrays.get((m, reg, v)), rating_arr, confidence, unavailable.get(m))
             for (m, reg, v) in keys]
    method_notes = getattr(heatmap_fn, "method_notes", {})
    notes = [method_notes[m] for m in methods if m in method_notes and m not in unavailable]
    return AblationTable(methods, regions, variants, cells, ids, rating_arr, score_arrays,
                         unrated, unscored, confidence, notes)
