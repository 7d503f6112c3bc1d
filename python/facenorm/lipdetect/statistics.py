"""The paper's significance protocol (ICMI 2024, Tables 1-2, Figs. 5 and 7): per-run metrics
summarized as mean +- std over the runs, and a one-tailed two-sample proportion test of
"model A is more accurate than model B" on each data subset (p < 0.01 marks a `*`).

    rows = [{"model": "Siamese LT-v2", "run": 0, "subset": "test", "loss": 0.16,
             "accuracy": 0.96, "n": 500, "correct": 480}, ...]
    summary = summarize_runs(rows)
    stars = compare_models(rows, "Siamese LT-v2", "Baseline")   # {"test": {"z", "p", "significant"}}
"""
import math
import numbers
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .._core import InputError, InputTypeError

__all__ = ["ALTERNATIVES", "ROW_KEYS", "ACCURACY_TOLERANCE", "proportion_test", "summarize_runs", "compare_models"]

ALTERNATIVES = ("greater", "less", "two-sided")
ROW_KEYS = ("model", "run", "subset", "loss", "accuracy", "n", "correct")
# accuracy and correct/n may differ by rounding when rows were read back from a CSV
ACCURACY_TOLERANCE = 1e-3


def _real(name: str, value) -> float:
    # bool is an int subclass; True/False as a count is almost surely a bug upstream
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name}: expected a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{name}: expected a finite number, got {value}")
    return value


def _checked_counts(correct, n, side: str) -> Tuple[float, float]:
    c, size = _real(f"correct_{side}", correct), _real(f"n_{side}", n)
    if size <= 0:
        raise InputError(f"n_{side}: expected a positive number of samples, got {n}")
    if c < 0 or c > size:
        raise InputError(f"correct_{side}: expected 0 <= correct_{side} <= n_{side} = {n}, got {correct}")
    return c, size


def _normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal; erfc keeps full relative precision far in the tail."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def proportion_test(correct_a, n_a, correct_b, n_b, alternative: str = "greater") -> Tuple[float, float]:
    """Two-sample proportion z-test with the pooled standard error (the paper's "one-tailed
    two-sample proportion t-test"). Returns (z, p) as Python floats.

        p_a = correct_a / n_a, p_b = correct_b / n_b, P = (correct_a + correct_b) / (n_a + n_b)
        z = (p_a - p_b) / sqrt(P (1 - P) (1 / n_a + 1 / n_b))

    alternative: "greater" (H1: p_a > p_b; p = P(Z >= z)), "less" (H1: p_a < p_b) or
    "two-sided". Counts may be non-integer (an average over runs, see compare_models) but must
    satisfy 0 <= correct <= n and n > 0, else InputError (a ValueError); non-numbers raise
    InputTypeError.

    Degenerate case: when both proportions are 0 or both are 1 the pooled variance is 0 and z is
    undefined; the samples then carry no evidence either way, so z = 0 and p = 0.5 (one-sided) or
    p = 1.0 (two-sided), the values of a test statistic sitting exactly on the null.
    """
    if alternative not in ALTERNATIVES:
        raise InputError(f"alternative: expected one of {ALTERNATIVES}, got {alternative!r}")
    ca, na = _checked_counts(correct_a, n_a, "a")
    cb, nb = _checked_counts(correct_b, n_b, "b")
    pooled = (ca + cb) / (na + nb)
    variance = pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)
    if variance <= 0.0:  # pooled is exactly 0 or 1: both samples all wrong or all right
        return 0.0, (1.0 if alternative == "two-sided" else 0.5)
    z = (ca / na - cb / nb) / math.sqrt(variance)
    if alternative == "greater":
        return z, _normal_sf(z)
    if alternative == "less":
        return z, _normal_sf(-z)
    return z, min(1.0, 2.0 * _normal_sf(abs(z)))


def _checked_row(index: int, row) -> dict:
    if not isinstance(row, dict):
        raise InputTypeError(f"rows[{index}]: expected a dict with keys {ROW_KEYS}, got {type(row).__name__}")
    missing = [k for k in ROW_KEYS if k not in row]
    if missing:
        raise InputError(f"rows[{index}]: missing key(s) {missing}; expected keys {ROW_KEYS}")
    where = f"rows[{index}] ({row['model']!r}, run {row['run']!r}, {row['subset']!r})"
    n = _real(f"{where} n", row["n"])
    correct = _real(f"{where} correct", row["correct"])
    accuracy = _real(f"{where} accuracy", row["accuracy"])
    loss = _real(f"{where} loss", row["loss"])
    if n <= 0 or n != int(n):
        raise InputError(f"{where}: expected n to be a positive whole number of samples, got {row['n']}")
    if correct < 0 or correct > n or correct != int(correct):
        raise InputError(f"{where}: expected correct to be a whole number in [0, n = {int(n)}], got {row['correct']}")
    if abs(accuracy - correct / n) > ACCURACY_TOLERANCE:
        raise InputError(f"{where}: accuracy {accuracy} does not match correct / n = {correct / n:.6f}")
    return {"model": str(row["model"]), "run": row["run"], "subset": str(row["subset"]),
            "loss": loss, "accuracy": accuracy, "n": int(n), "correct": int(correct)}


def _grouped(rows: Sequence[dict]) -> Dict[Tuple[str, str], List[dict]]:
    """(model, subset) -> its checked rows, in order of first appearance; one row per run."""
    groups: Dict[Tuple[str, str], List[dict]] = {}
    for i, raw in enumerate(rows):
        row = _checked_row(i, raw)
        group = groups.setdefault((row["model"], row["subset"]), [])
        if any(r["run"] == row["run"] for r in group):  # a duplicate would be counted twice
            raise InputError(f"rows[{i}]: run {row['run']!r} of ({row['model']!r}, {row['subset']!r}) appears twice")
        group.append(row)
    return groups


def _std(values: Sequence[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def summarize_runs(rows: Sequence[dict]) -> List[dict]:
    """One dict per (model, subset), in order of first appearance:

        {"model", "subset", "runs", "n", "correct_total",
         "loss_mean", "loss_std", "accuracy_mean", "accuracy_std"}

    std is the sample standard deviation over runs (ddof=1), 0.0 for a single run. n is the
    per-run subset size (an int when every run used the same size, else the mean over runs).
    rows: dicts with keys model (str), run (int), subset (str), loss, accuracy, n, correct;
    a bad row raises InputError naming it.
    """
    summary = []
    for (model, subset), group in _grouped(rows).items():
        sizes = [r["n"] for r in group]
        losses = [r["loss"] for r in group]
        accuracies = [r["accuracy"] for r in group]
        summary.append({
            "model": model, "subset": subset, "runs": len(group),
            "n": sizes[0] if len(set(sizes)) == 1 else float(np.mean(sizes)),
            "correct_total": int(sum(r["correct"] for r in group)),
            "loss_mean": float(np.mean(losses)), "loss_std": _std(losses),
            "accuracy_mean": float(np.mean(accuracies)), "accuracy_std": _std(accuracies),
        })
    return summary


def compare_models(rows: Sequence[dict], model_a: str, model_b: str, alpha: float = 0.01) -> Dict[str, dict]:
    """subset -> {"z": float, "p": float, "significant": bool} for H1 "model_a is more accurate
    than model_b" (proportion_test, alternative="greater"), on every subset both models have.

    Each model enters the test with its correct counts pooled over runs and divided by the number
    of runs, against the per-run subset size: p = mean accuracy over runs, n = one run's subset.
    Pooling all runs' samples instead (n = runs x subset) would treat the same test images,
    re-scored by each run, as independent new samples and shrink the standard error by
    sqrt(runs), making almost any difference "significant". significant is p < alpha.
    """
    alpha = _real("alpha", alpha)
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha: expected a significance level in (0, 1), got {alpha}")
    groups = _grouped(rows)
    models = {m for m, _ in groups}
    for name in (model_a, model_b):
        if name not in models:
            raise InputError(f"model {name!r} has no rows; models present: {sorted(models)}")

    def per_run(model: str, subset: str) -> Tuple[float, float]:
        group = groups[(model, subset)]
        return sum(r["correct"] for r in group) / len(group), sum(r["n"] for r in group) / len(group)

    comparisons = {}
    for model, subset in groups:
        if model != model_a or (model_b, subset) not in groups:
            continue
        correct_a, n_a = per_run(model_a, subset)
        correct_b, n_b = per_run(model_b, subset)
        z, p = proportion_test(correct_a, n_a, correct_b, n_b, alternative="greater")
        comparisons[subset] = {"z": z, "p": p, "significant": bool(p < alpha)}
    return comparisons
