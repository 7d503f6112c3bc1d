"""Agreement between machine scores and human ratings: Pearson, Spearman, Kendall tau-b, ROC AUC.

Special functions, ranks and Kendall's tau-b with its asymptotic p-value come from SciPy
(python3-scipy, imported on first use); what SciPy lacks is written here: the confidence
intervals (Fisher z with the se of each coefficient) and the ROC AUC with a class-stratified
bootstrap (one sort, then binary searches per replicate). The numbers match
scipy.stats.pearsonr / spearmanr / kendalltau(method="asymptotic") to ~1e-12; docs/agreement.md
gives the formulas.
"""
import math
from dataclasses import asdict, dataclass

import numpy as np

from .._core import InputError

__all__ = ["MIN_PAIRS", "Correlation", "AUCResult", "regularized_incomplete_beta", "normal_quantile",
           "average_ranks", "pearson", "spearman", "kendall_tau", "roc_auc"]

MIN_PAIRS = 3


@dataclass(frozen=True)
class Correlation:
    method: str        # "pearson", "spearman" or "kendall_tau_b"
    r: float           # the coefficient, in [-1, 1]
    ci_low: float      # confidence interval (Fisher z; see each function), clipped to [-1, 1]
    ci_high: float
    p_value: float     # two-sided, H0: no association
    n: int
    confidence: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AUCResult:
    auc: float         # P(score of a label-1 item > score of a label-0 item), ties count 1/2
    ci_low: float      # stratified-bootstrap percentile interval (NaN when n_boot == 0)
    ci_high: float
    n_pos: int
    n_neg: int
    n_boot: int
    confidence: float
    seed: int

    def as_dict(self) -> dict:
        return asdict(self)

    def __iter__(self):  # so that `auc, lo, hi = roc_auc(...)` works
        return iter((self.auc, self.ci_low, self.ci_high))


# ---------------------------------------------------------------- input checks

def _as_vector(values, name: str) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected numbers, got values that are not numeric") from None
    if a.ndim != 1:
        raise InputError(f"{name}: expected a 1-D sequence, got shape {a.shape}")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise InputError(f"{name}: {bad.size} value(s) are NaN or infinite (first at index {bad[0]}); "
                         "drop or impute them before computing agreement")
    return a


def _check_pairs(x, y, names=("x", "y")) -> tuple:
    a, b = _as_vector(x, names[0]), _as_vector(y, names[1])
    if a.size != b.size:
        raise InputError(f"{names[0]} and {names[1]} have different lengths ({a.size} and {b.size})")
    if a.size < MIN_PAIRS:
        raise InputError(f"need at least {MIN_PAIRS} pairs, got {a.size}")
    return a, b


def _check_not_constant(a: np.ndarray, name: str, what: str) -> None:
    if np.all(a == a[0]):
        raise InputError(f"{name} is constant (all {a.size} values equal {a[0]:g}): {what} is undefined")


def _check_confidence(confidence: float) -> float:
    c = float(confidence)
    if not 0.0 < c < 1.0:
        raise InputError(f"confidence: expected a level in (0, 1) such as 0.95, got {confidence}")
    return c


# ---------------------------------------------------------------- special functions
# SciPy's (a dependency already, python3-scipy); imported on first use, so `import facenorm`
# does not pay for scipy.stats.

def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) for a, b > 0 and 0 <= x <= 1 (scipy.special.betainc)."""
    from scipy import special
    return float(special.betainc(a, b, min(max(x, 0.0), 1.0)))


def _pearson_p_value(r: float, n: int) -> float:
    """Two-sided p of H0 rho = 0: P(|T| > |t|) for Student's t with n-2 df, t = r sqrt((n-2)/(1-r^2)).

    That tail is I_{df/(df+t^2)}(df/2, 1/2), and df/(df+t^2) = 1 - r^2, written (1-|r|)(1+|r|) so
    r near +-1 keeps its precision.
    """
    r = abs(r)
    if r >= 1.0:
        return 0.0
    return regularized_incomplete_beta((n - 2) / 2.0, 0.5, (1.0 - r) * (1.0 + r))


def normal_quantile(p: float) -> float:
    """Phi^-1(p) (scipy.special.ndtri)."""
    if not 0.0 < p < 1.0:
        raise InputError(f"normal_quantile: p must be in (0, 1), got {p}")
    from scipy import special
    return float(special.ndtri(p))


def _fisher_interval(r: float, se: float, confidence: float) -> tuple:
    """tanh(atanh(r) -+ z_crit * se), clipped to [-1, 1]. An infinite se (too few pairs for the
    approximation, e.g. n = 3 for Pearson) gives (-1, 1) as SciPy does; otherwise |r| = 1 gives
    the degenerate (r, r)."""
    if not math.isfinite(se):
        return -1.0, 1.0
    if abs(r) >= 1.0:
        return float(r), float(r)
    z, half = math.atanh(r), normal_quantile(0.5 + confidence / 2.0) * se
    return max(-1.0, math.tanh(z - half)), min(1.0, math.tanh(z + half))


# ---------------------------------------------------------------- ranks

def average_ranks(values) -> np.ndarray:
    """1-based ranks; tied values share the mean of the ranks they span (scipy.stats.rankdata)."""
    from scipy import stats
    return stats.rankdata(np.asarray(values, dtype=np.float64), method="average")


# ---------------------------------------------------------------- correlations

def _pearson_r(a: np.ndarray, b: np.ndarray) -> float:
    da, db = a - a.mean(), b - b.mean()
    # Normalising first (as scipy does) avoids overflow of the sums for large values.
    da, db = da / np.linalg.norm(da), db / np.linalg.norm(db)
    return float(np.clip(np.dot(da, db), -1.0, 1.0))


def pearson(x, y, confidence: float = 0.95) -> Correlation:
    """Pearson's r with a Fisher z interval (se = 1/sqrt(n-3)) and the t-test p-value (n-2 df)."""
    confidence = _check_confidence(confidence)
    a, b = _check_pairs(x, y)
    _check_not_constant(a, "x", "Pearson's r")
    _check_not_constant(b, "y", "Pearson's r")
    n = a.size
    r = _pearson_r(a, b)
    se = 1.0 / math.sqrt(n - 3) if n > 3 else math.inf
    lo, hi = _fisher_interval(r, se, confidence)
    return Correlation("pearson", r, lo, hi, _pearson_p_value(r, n), n, confidence)


def spearman(x, y, confidence: float = 0.95) -> Correlation:
    """Spearman's rho (Pearson's r of average ranks); p-value as scipy.stats.spearmanr (t, n-2 df).

    Interval: Fisher z with the Bonett & Wright (2000) se = sqrt((1 + rho^2/2) / (n-3)).
    """
    confidence = _check_confidence(confidence)
    a, b = _check_pairs(x, y)
    _check_not_constant(a, "x", "Spearman's rho")
    _check_not_constant(b, "y", "Spearman's rho")
    n = a.size
    rho = _pearson_r(average_ranks(a), average_ranks(b))
    se = math.sqrt((1.0 + rho * rho / 2.0) / (n - 3)) if n > 3 else math.inf
    lo, hi = _fisher_interval(rho, se, confidence)
    return Correlation("spearman", rho, lo, hi, _pearson_p_value(rho, n), n, confidence)


def kendall_tau(x, y, confidence: float = 0.95) -> Correlation:
    """Kendall's tau-b (ties in both variables) with the asymptotic normal p-value of
    scipy.stats.kendalltau(method="asymptotic") (tie-corrected variance of S).

    Interval: Fisher z with the Fieller, Hartley & Pearson (1957) se = sqrt(0.437 / (n-4)).
    """
    confidence = _check_confidence(confidence)
    a, b = _check_pairs(x, y)
    _check_not_constant(a, "x", "Kendall's tau")
    _check_not_constant(b, "y", "Kendall's tau")
    from scipy import stats
    n = a.size
    result = stats.kendalltau(a, b, variant="b", method="asymptotic")
    tau, p = float(np.clip(result.correlation, -1.0, 1.0)), float(result.pvalue)
    se = math.sqrt(0.437 / (n - 4)) if n > 4 else math.inf
    lo, hi = _fisher_interval(tau, se, confidence)
    return Correlation("kendall_tau_b", tau, lo, hi, p, n, confidence)


# ---------------------------------------------------------------- ROC AUC

def _check_labels(labels, n: int) -> np.ndarray:
    raw = np.asarray(labels)
    if raw.ndim != 1:
        raise InputError(f"labels: expected a 1-D sequence, got shape {raw.shape}")
    if raw.size != n:
        raise InputError(f"scores and labels have different lengths ({n} and {raw.size})")
    try:
        lab = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise InputError("labels: expected 0/1 (or False/True) values") from None
    bad = np.flatnonzero((lab != 0) & (lab != 1))
    if bad.size:
        raise InputError(f"labels: expected only 0 and 1, got {raw[bad[0]]!r} at index {bad[0]}")
    if np.all(lab == lab[0]):
        raise InputError(f"labels: all {n} labels are {int(lab[0])}; the AUC needs both classes")
    return lab.astype(bool)


def _auc(pos: np.ndarray, neg_sorted: np.ndarray) -> float:
    """Mann-Whitney U / (n_pos n_neg): for each positive, negatives below it plus half the ties."""
    below = np.searchsorted(neg_sorted, pos, side="left")
    at_or_below = np.searchsorted(neg_sorted, pos, side="right")
    return float(np.sum(below + at_or_below) / (2.0 * pos.size * neg_sorted.size))


def roc_auc(scores, labels, n_boot: int = 2000, confidence: float = 0.95, seed: int = 0) -> AUCResult:
    """Area under the ROC curve of `scores` separating label 1 from label 0, and a percentile
    interval from a bootstrap stratified by class (positives and negatives resampled separately,
    so every replicate keeps both classes). n_boot = 0 skips the interval (NaN)."""
    confidence = _check_confidence(confidence)
    s = _as_vector(scores, "scores")
    if s.size < MIN_PAIRS:
        raise InputError(f"need at least {MIN_PAIRS} (score, label) pairs, got {s.size}")
    is_pos = _check_labels(labels, s.size)
    if int(n_boot) < 0:
        raise InputError(f"n_boot: expected 0 or more bootstrap replicates, got {n_boot}")
    pos, neg = s[is_pos], np.sort(s[~is_pos])
    auc = _auc(pos, neg)
    lo = hi = math.nan
    if n_boot:
        rng = np.random.default_rng(seed)
        boots = np.empty(int(n_boot))
        for i in range(boots.size):
            boot_pos = pos[rng.integers(0, pos.size, pos.size)]
            boot_neg = np.sort(neg[rng.integers(0, neg.size, neg.size)])
            boots[i] = _auc(boot_pos, boot_neg)
        alpha = 1.0 - confidence
        lo, hi = (float(v) for v in np.quantile(boots, [alpha / 2.0, 1.0 - alpha / 2.0]))
    return AUCResult(auc, lo, hi, int(pos.size), int(neg.size), int(n_boot), confidence, int(seed))
