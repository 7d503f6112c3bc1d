"""facenorm.stats agreement statistics (vs SciPy where installed) and the survey CSV reader."""
import dataclasses
import math

import numpy as np
import pytest

import facenorm as fn
from facenorm.stats import (
    align_scores, kendall_tau, pearson, read_ratings_csv, read_ratings_table, roc_auc, spearman,
)
from facenorm.stats.agreement import average_ranks, normal_quantile, regularized_incomplete_beta
from facenorm.stats.ratings import normalize_id

SIZES = [3, 4, 5, 13, 50, 400]


@pytest.fixture(scope="module")
def scipy_stats():
    return pytest.importorskip("scipy.stats", reason="SciPy is the reference for these comparisons")


def correlated(n, seed, ties=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.7 * x + rng.normal(size=n)
    if ties:  # survey-like: few distinct values on both sides
        x, y = np.round(x * 2), np.round(y)
    return x, y


def assert_close(a, b, tol=1e-10):
    assert a == pytest.approx(b, rel=tol, abs=tol)


# ---------------------------------------------------------------- special functions

def test_incomplete_beta_matches_scipy():
    special = pytest.importorskip("scipy.special")
    for a in (0.5, 1.0, 1.5, 6.5, 50.0, 2000.0):
        for b in (0.5, 1.0, 3.0, 40.0):
            for x in (1e-9, 0.01, 0.2, 0.5, 0.77, 0.999, 1 - 1e-9):
                assert_close(regularized_incomplete_beta(a, b, x), special.betainc(a, b, x), 1e-10)
    assert regularized_incomplete_beta(2.0, 3.0, 0.0) == 0.0
    assert regularized_incomplete_beta(2.0, 3.0, 1.0) == 1.0


def test_normal_quantile_matches_scipy(scipy_stats):
    for p in (1e-10, 1e-4, 0.01, 0.025, 0.2, 0.5, 0.8, 0.975, 0.995, 1 - 1e-6):
        assert_close(normal_quantile(p), scipy_stats.norm.ppf(p), 1e-12)
    with pytest.raises(fn.InputError, match="p must be in"):
        normal_quantile(1.0)


def test_average_ranks_match_scipy(scipy_stats):
    x = np.array([3.0, 1.0, 3.0, 2.0, 3.0, 1.0, 7.0])
    assert np.array_equal(average_ranks(x), scipy_stats.rankdata(x))
    assert np.array_equal(average_ranks(x), [5, 1.5, 5, 3, 5, 1.5, 7])


# ---------------------------------------------------------------- correlations vs SciPy

@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("ties", [False, True])
def test_pearson_matches_scipy(scipy_stats, n, ties):
    x, y = correlated(n, seed=n, ties=ties)
    if np.all(x == x[0]) or np.all(y == y[0]):
        pytest.skip("rounding made a side constant")
    got, ref = pearson(x, y), scipy_stats.pearsonr(x, y)
    assert got.n == n and got.method == "pearson"
    assert_close(got.r, ref[0])
    assert_close(got.p_value, ref[1])
    if hasattr(ref, "confidence_interval"):  # SciPy >= 1.9: the same Fisher z interval
        for level in (0.95, 0.8):
            ci = ref.confidence_interval(confidence_level=level)
            mine = pearson(x, y, confidence=level)
            assert_close(mine.ci_low, ci.low)
            assert_close(mine.ci_high, ci.high)
    assert -1.0 <= got.ci_low <= got.r <= got.ci_high <= 1.0


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("ties", [False, True])
def test_spearman_matches_scipy(scipy_stats, n, ties):
    x, y = correlated(n, seed=100 + n, ties=ties)
    if np.all(x == x[0]) or np.all(y == y[0]):
        pytest.skip("rounding made a side constant")
    got, ref = spearman(x, y), scipy_stats.spearmanr(x, y)
    assert_close(got.r, ref[0])
    assert_close(got.p_value, ref[1])
    assert -1.0 <= got.ci_low <= got.r <= got.ci_high <= 1.0


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("ties", [False, True])
def test_kendall_tau_b_matches_scipy_asymptotic(scipy_stats, n, ties):
    x, y = correlated(n, seed=200 + n, ties=ties)
    if np.all(x == x[0]) or np.all(y == y[0]):
        pytest.skip("rounding made a side constant")
    got = kendall_tau(x, y)
    ref = scipy_stats.kendalltau(x, y, method="asymptotic")
    assert got.method == "kendall_tau_b"
    assert_close(got.r, ref[0])
    assert_close(got.p_value, ref[1])


def test_kendall_many_ties_matches_scipy(scipy_stats):
    rng = np.random.default_rng(7)
    x, y = rng.integers(1, 4, 60).astype(float), rng.integers(1, 8, 60).astype(float)
    got, ref = kendall_tau(x, y), scipy_stats.kendalltau(x, y, method="asymptotic")
    assert_close(got.r, ref[0])
    assert_close(got.p_value, ref[1])


def test_three_pairs_edge_case(scipy_stats):
    x, y = [1.0, 2.0, 4.0], [2.0, 1.0, 5.0]
    got, ref = pearson(x, y), scipy_stats.pearsonr(x, y)
    assert_close(got.r, ref[0])
    assert_close(got.p_value, ref[1])
    assert (got.ci_low, got.ci_high) == (-1.0, 1.0)  # se = 1/sqrt(n-3) is infinite: no information
    assert_close(kendall_tau(x, y).p_value, scipy_stats.kendalltau(x, y, method="asymptotic")[1])
    assert_close(spearman(x, y).p_value, scipy_stats.spearmanr(x, y)[1])


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_perfect_correlation_gives_finite_degenerate_interval(sign):
    x = np.arange(1.0, 14.0)
    for result in (pearson(x, sign * (2 * x + 1)), spearman(x, sign * x ** 3), kendall_tau(x, sign * np.exp(x))):
        assert result.r == pytest.approx(sign)
        values = (result.r, result.ci_low, result.ci_high, result.p_value)
        assert all(math.isfinite(v) for v in values)
        assert -1.0 <= result.ci_low <= result.ci_high <= 1.0
        assert result.ci_low == pytest.approx(sign, abs=1e-6) or result.method == "kendall_tau_b"
        assert result.p_value < 1e-5


def test_results_are_frozen_dataclasses_with_as_dict():
    result = pearson([1, 2, 3, 4], [1, 3, 2, 4])
    assert set(result.as_dict()) == {"method", "r", "ci_low", "ci_high", "p_value", "n", "confidence"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.r = 0.0
    auc = roc_auc([1, 2, 3, 4], [0, 0, 1, 1], n_boot=10)
    assert auc.as_dict()["n_pos"] == 2 and auc.as_dict()["auc"] == 1.0


# ---------------------------------------------------------------- input errors

@pytest.mark.parametrize("function", [pearson, spearman, kendall_tau])
@pytest.mark.parametrize("x, y, message", [
    ([1, 2, 3, 4], [1, 2, 3], "different lengths"),
    ([1, 2], [2, 1], "at least 3 pairs"),
    ([1, float("nan"), 3, 4], [1, 2, 3, 4], "x: 1 value.* NaN or infinite.*index 1"),
    ([1, 2, 3, 4], [1, 2, float("inf"), 4], "y: 1 value.* NaN or infinite"),
    ([5, 5, 5, 5], [1, 2, 3, 4], "x is constant.*undefined"),
    ([1, 2, 3, 4], [2, 2, 2, 2], "y is constant.*undefined"),
    ([[1, 2], [3, 4]], [1, 2], "1-D"),
    (["a", "b", "c"], [1, 2, 3], "not numeric"),
])
def test_correlation_input_errors(function, x, y, message):
    with pytest.raises(fn.InputError, match=message) as info:
        function(x, y)
    assert isinstance(info.value, ValueError)


def test_bad_confidence_level():
    with pytest.raises(fn.InputError, match="confidence"):
        pearson([1, 2, 3, 4], [1, 3, 2, 4], confidence=95)


# ---------------------------------------------------------------- ROC AUC

def auc_by_pair_count(scores, labels):
    """The definition: over all (positive, negative) pairs, 1 if the positive scores higher, 1/2 if tied."""
    pos = [s for s, l in zip(scores, labels) if l == 1]
    neg = [s for s, l in zip(scores, labels) if l == 0]
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(6))
def test_auc_matches_pair_count(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 80))
    labels = rng.integers(0, 2, n)
    labels[:2] = (0, 1)
    scores = rng.integers(0, 6, n) + 0.8 * labels  # integers: many ties within and across classes
    result = roc_auc(scores, labels, n_boot=0)
    assert result.auc == pytest.approx(auc_by_pair_count(scores, labels), abs=1e-12)
    assert (result.n_pos, result.n_neg) == (int(labels.sum()), int(n - labels.sum()))
    assert math.isnan(result.ci_low) and math.isnan(result.ci_high)


def test_auc_matches_sklearn_convention_on_known_values():
    # perfect separation, inverted, all tied
    assert roc_auc([1, 2, 3, 4], [0, 0, 1, 1], n_boot=0).auc == 1.0
    assert roc_auc([4, 3, 2, 1], [0, 0, 1, 1], n_boot=0).auc == 0.0
    assert roc_auc([2, 2, 2, 2], [0, 1, 0, 1], n_boot=0).auc == 0.5
    assert roc_auc([1, 2, 3, 4], [False, False, True, True], n_boot=0).auc == 1.0


def test_auc_bootstrap_interval_contains_auc_and_is_deterministic():
    rng = np.random.default_rng(3)
    labels = np.r_[np.zeros(30, int), np.ones(20, int)]
    scores = rng.normal(size=50) + labels
    first = roc_auc(scores, labels, n_boot=500, seed=11)
    again = roc_auc(scores, labels, n_boot=500, seed=11)
    other = roc_auc(scores, labels, n_boot=500, seed=12)
    assert first == again
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)
    assert 0.0 <= first.ci_low <= first.auc <= first.ci_high <= 1.0
    assert first.ci_high - first.ci_low < 0.5
    auc, lo, hi = first  # unpacks as (auc, ci_low, ci_high)
    assert (auc, lo, hi) == (first.auc, first.ci_low, first.ci_high)
    narrow = roc_auc(scores, labels, n_boot=500, seed=11, confidence=0.5)
    assert first.ci_low <= narrow.ci_low <= narrow.ci_high <= first.ci_high


def test_auc_perfect_separation_interval_is_degenerate():
    result = roc_auc([0.1, 0.2, 0.3, 0.9, 1.0], [0, 0, 0, 1, 1], n_boot=200)
    assert (result.auc, result.ci_low, result.ci_high) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("scores, labels, message", [
    ([1, 2, 3, 4], [0, 1, 2, 1], "only 0 and 1.*2 at index 2"),
    ([1, 2, 3, 4], [0, 0.5, 1, 1], "only 0 and 1"),
    ([1, 2, 3, 4], [1, 1, 1, 1], "all 4 labels are 1.*both classes"),
    ([1, 2, 3, 4], [0, 1, 1], "different lengths"),
    ([1, 2], [0, 1], "at least 3"),
    ([1, float("nan"), 3], [0, 1, 1], "NaN"),
])
def test_auc_input_errors(scores, labels, message):
    with pytest.raises(fn.InputError, match=message):
        roc_auc(scores, labels, n_boot=10)


# ---------------------------------------------------------------- survey CSV

def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_several_raters_are_averaged(tmp_path):
    path = write(tmp_path, "survey.csv", "image,rater,rating\nimg01.jpg,a,3\nimg01.jpg,b,4\nimg02.png,a,6\n"
                                         "img01.jpg,c,5\nimg02.png,b,7\n")
    table = read_ratings_table(path)
    assert table.means == {"img01": 4.0, "img02": 6.5}
    assert table.counts == {"img01": 3, "img02": 2}
    assert (table.id_column, table.rating_column) == ("image", "rating")
    assert read_ratings_csv(path) == table.means


def test_bom_quoted_fields_and_paths(tmp_path):
    text = ('"Image_ID","Score"\r\n"faces/img 01.JPG","2"\r\n"C:\\survey\\b, left.jpeg"," 5.5 "\r\n'
            '"img.v2","3"\r\n')
    path = write(tmp_path, "bom.csv", text, encoding="utf-8-sig")
    assert read_ratings_csv(path) == {"img 01": 2.0, "b, left": 5.5, "img.v2": 3.0}


def test_semicolon_file_with_decimal_commas(tmp_path):
    path = write(tmp_path, "excel.csv", "file;mean\nimg01.jpg;4,5\nimg02.jpg;2\n")
    assert read_ratings_csv(path) == {"img01": 4.5, "img02": 2.0}


def test_headerless_two_columns(tmp_path):
    path = write(tmp_path, "plain.csv", "img01,3\nimg02,5\n\nimg01,4\n")
    table = read_ratings_table(path)
    assert table.means == {"img01": 3.5, "img02": 5.0}
    assert table.id_column == "column 1"


def test_explicit_columns(tmp_path):
    path = write(tmp_path, "wide.csv", "respondent,photo,answer,seconds\nr1,a.jpg,2,10\nr2,a.jpg,4,12\n")
    assert read_ratings_csv(path, id_column="photo", rating_column="ANSWER") == {"a": 3.0}
    assert read_ratings_csv(path, id_column=1, rating_column=2) == {"a": 3.0}


def test_blank_ratings_are_listed_not_averaged(tmp_path):
    path = write(tmp_path, "skips.csv", "image,rating\nimg01,3\nimg01,\nimg02,5\n")
    table = read_ratings_table(path)
    assert table.means == {"img01": 3.0, "img02": 5.0}
    assert table.blank_lines == [3]


@pytest.mark.parametrize("text, message", [
    ("image,rating\nimg01,3\nimg02,three\n", r"bad\.csv, line 3: rating 'three' is not a number"),
    ("image,rating\nimg01,3\nimg02,nan\n", r"bad\.csv, line 3: .*not a finite number"),
    ("image,rating\nimg01,3\nimg02\n", r"bad\.csv, line 3: expected at least 2 columns"),
    ("image,rating\n,3\n", r"bad\.csv, line 2: empty image id"),
    ("photo,answer\nimg01,3\n", r"bad\.csv: could not find the id column.*image_id"),
    ("image,answer\nimg01,3\n", r"bad\.csv: could not find the rating column.*rating, score, mean"),
    ("", r"bad\.csv: the ratings file is empty"),
    ("\n\n", r"bad\.csv: the ratings file is empty"),
    ("image,rating\n", r"bad\.csv: the ratings file has a header but no rows"),
    ("img01,r1,3\n", r"bad\.csv, line 1: no header and 3 columns"),
    ("image,rating\nimg01,\n", r"bad\.csv: no ratings"),
])
def test_bad_files_name_file_and_line(tmp_path, text, message):
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(fn.InputError, match=message):
        read_ratings_csv(path)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(fn.InputError, match="not found"):
        read_ratings_csv(tmp_path / "nope.csv")
    with pytest.raises(fn.InputError, match="not UTF-8"):
        read_ratings_csv(write(tmp_path, "latin1.csv", "image,rating\nbébé,3\n", encoding="latin-1"))
    with pytest.raises(fn.InputError, match="no id column named 'photo'"):
        read_ratings_csv(write(tmp_path, "ok.csv", "image,rating\na,3\n"), id_column="photo")


def test_normalize_id():
    assert normalize_id(" faces/img01.JPG ") == "img01"
    assert normalize_id("C:\\x\\img01.png") == "img01"
    assert normalize_id("img.01") == "img.01"  # not an image extension: kept
    assert normalize_id(7) == "7"


def test_align_scores_reports_missing_ids():
    scores = {"img01.jpg": 9.0, "img02": 8.0, "img03": 7.0, "extra.png": 1.0}
    ratings = {"img03": 2.0, "img01": 6.0, "img02": 4.0, "unscored": 5.0}
    matched = align_scores(scores, ratings)
    assert matched.ids == ["img01", "img02", "img03"]
    assert matched.scores.tolist() == [9.0, 8.0, 7.0]
    assert matched.ratings.tolist() == [6.0, 4.0, 2.0]
    assert matched.missing_ratings == ["extra"]
    assert matched.missing_scores == ["unscored"]
    assert pearson(matched.scores, matched.ratings).r > 0.99  # larger S = more normal = higher rating


def test_align_scores_refuses_ids_that_collide():
    with pytest.raises(fn.InputError, match="'a.jpg' and 'a.png' both normalize to 'a'"):
        align_scores({"a.jpg": 1.0, "a.png": 2.0}, {"a": 3.0})


def test_survey_to_correlation_end_to_end(tmp_path):
    rows = ["image,rater,rating"]
    truth = {f"face{i:02d}.jpg": 1 + i * 0.5 for i in range(13)}
    for image, mean in truth.items():
        rows += [f"{image},r1,{mean - 1}", f"{image},r2,{mean + 1}"]
    ratings = read_ratings_csv(write(tmp_path, "survey.csv", "\n".join(rows) + "\n"))
    scores = {image.replace(".jpg", ""): 3.0 + 0.1 * mean for image, mean in truth.items()}
    matched = align_scores(scores, ratings)
    assert len(matched.ids) == 13 and not matched.missing_ratings and not matched.missing_scores
    assert pearson(matched.scores, matched.ratings).r == pytest.approx(1.0)
