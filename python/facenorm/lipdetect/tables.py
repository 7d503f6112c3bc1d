"""Table 1 / Table 2 of the ICMI 2024 paper from summarize_runs + compare_models output: one block
per subset, one row per model, "loss ↓" and "accuracy ↑" as mean ± std over runs, with `*` on the
first model's value where it is significantly better than the second (the reference).

    csv_text, md_text = results_table(summary, comparisons, ["Siamese LT-v2", "Baseline"],
                                      ["train", "dev", "test", "test_cleft"])
"""
import csv
import io
import os
from typing import Dict, List, Optional, Sequence, Tuple

from .._core import InputError
from ..files import atomic_write_text

__all__ = ["SUBSET_TITLES", "CSV_COLUMNS", "MISSING", "subset_title", "format_mean", "format_std", "results_table",
           "write_tables"]

SUBSET_TITLES = {
    "train": "Training", "dev": "Development", "test": "Test", "test_cleft": "Test cleft lip",
    "test_real_shapes": "Test real cleft shapes", "test_adults": "Test adults",
    "test_children": "Test children", "test_controls": "Test controls",
}
CSV_COLUMNS = ("model", "subset", "runs", "n", "loss_mean", "loss_std", "accuracy_mean", "accuracy_std",
               "p_value_vs_reference", "significant")
MISSING = "n/a"


def subset_title(subset: str) -> str:
    """The paper's name for a subset key ("test_cleft" -> "Test cleft lip"); unknown keys as given."""
    return SUBSET_TITLES.get(subset, subset)


def format_mean(value: float) -> str:
    return f"{value:.2f}"


def format_std(value: float) -> str:
    """Two decimals, or as many as keep a small nonzero std visible (the paper prints 0.004, 0.0001)."""
    if value == 0 or abs(value) >= 0.005:
        return f"{value:.2f}"
    if abs(value) >= 0.0005:
        return f"{value:.3f}"
    return f"{value:.1g}"


def _cell(entry: Optional[dict], metric: str, star: bool) -> str:
    if entry is None:
        return MISSING
    return f"{format_mean(entry[metric + '_mean'])}{'*' if star else ''} ± {format_std(entry[metric + '_std'])}"


def _index(summary: Sequence[dict]) -> Dict[Tuple[str, str], dict]:
    try:
        return {(str(e["model"]), str(e["subset"])): e for e in summary}
    except (KeyError, TypeError) as e:
        raise InputError(f"summary: expected the dicts of summarize_runs (keys model, subset, ...): {e!r}") from None


def _runs_phrase(runs: set) -> str:
    if len(runs) == 1:
        (r,) = runs
        return f"{r} run" if r == 1 else f"{r} runs"
    return f"{min(runs)} to {max(runs)} runs (see the runs column of the CSV)" if runs else "0 runs"


def _ordered_unique(values) -> List[str]:
    return list(dict.fromkeys(values))


def results_table(summary: Sequence[dict], comparisons: Optional[Dict[str, dict]],
                  models: Optional[Sequence[str]] = None, subsets: Optional[Sequence[str]] = None,
                  alpha: float = 0.01) -> Tuple[str, str]:
    """(csv_text, markdown_text).

    summary: summarize_runs output. comparisons: compare_models(rows, models[0], models[1])
    output (subset -> {"z", "p", "significant"}), or None for no stars; a comparison may also
    carry "loss_significant": True to star the loss as the paper's tables do. models: row order,
    the first is the one tested against the second; subsets: block order (default: both in order
    of appearance in summary). A (model, subset) absent from summary shows "n/a" in Markdown and
    has no CSV row. alpha is only quoted in the Markdown footnote.
    CSV: one row per (subset, model) with CSV_COLUMNS, plain numbers; p_value_vs_reference and
    significant (1/0) are filled on the first model's rows only.
    """
    entries = _index(summary)
    models = _ordered_unique(models if models is not None else [m for m, _ in entries])
    subsets = _ordered_unique(subsets if subsets is not None else [s for _, s in entries])
    if not models:
        raise InputError("models: expected at least one model name")
    comparisons = comparisons or {}
    lead = models[0]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    lines = ["| Set | Model | Loss ↓ | Accuracy ↑ |", "|---|---|---|---|"]
    runs_seen = set()
    for subset in subsets:
        test = comparisons.get(subset) if len(models) > 1 else None
        for k, model in enumerate(models):
            entry = entries.get((model, subset))
            is_lead = model == lead and test is not None
            star_accuracy = is_lead and bool(test.get("significant"))
            star_loss = is_lead and bool(test.get("loss_significant"))
            set_name = subset_title(subset) if k == 0 else ""
            lines.append(f"| {set_name} | {model} | {_cell(entry, 'loss', star_loss)} | "
                         f"{_cell(entry, 'accuracy', star_accuracy)} |")
            if entry is None:
                continue
            runs_seen.add(entry["runs"])
            writer.writerow([model, subset, entry["runs"], entry["n"],
                             repr(float(entry["loss_mean"])), repr(float(entry["loss_std"])),
                             repr(float(entry["accuracy_mean"])), repr(float(entry["accuracy_std"])),
                             repr(float(test["p"])) if is_lead else "",
                             int(bool(test["significant"])) if is_lead else ""])
    lines += ["", f"Mean ± standard deviation over {_runs_phrase(runs_seen)}. The arrows ↑ ↓ indicate if "
                  "the metric improves by increasing or decreasing, respectively."]
    if len(models) > 1 and comparisons:
        lines.append(f"(*) {lead} is significantly better than {models[1]} (one-tailed two-sample "
                     f"proportion test, p < {alpha:g}).")
    return out.getvalue(), "\n".join(lines) + "\n"


def write_tables(out_dir, stem: str, summary: Sequence[dict], comparisons: Optional[Dict[str, dict]],
                 models: Optional[Sequence[str]] = None, subsets: Optional[Sequence[str]] = None,
                 alpha: float = 0.01) -> Tuple[str, str]:
    """Write <out_dir>/<stem>.csv and <stem>.md (each to a temporary file, then renamed into
    place); the folder is created when missing. Returns (csv_path, md_path)."""
    if not stem or os.sep in stem or (os.altsep and os.altsep in stem):
        raise InputError(f"stem: expected a plain file name without a folder, got {stem!r}")
    csv_text, md_text = results_table(summary, comparisons, models, subsets, alpha)
    out_dir = os.fspath(out_dir)
    return (atomic_write_text(os.path.join(out_dir, stem + ".csv"), csv_text),
            atomic_write_text(os.path.join(out_dir, stem + ".md"), md_text))
