"""The ICMI 2024 protocol pieces that need no network: proportion test, run summaries, Table 1
layout, Figs. 5-7. References: scipy.stats (normal tail, chi-square, hypergeometric) and simulation."""
import csv
import io
import math

import numpy as np
import pytest
import scipy.stats

from facenorm import InputError, InputTypeError
from facenorm.lipdetect import figures, tables
from facenorm.lipdetect.statistics import compare_models, proportion_test, summarize_runs

PIL = pytest.importorskip("PIL.Image")


def reference_test(ca, na, cb, nb):
    """The textbook pooled two-proportion z statistic and its upper-tail p (scipy's normal)."""
    pa, pb, pooled = ca / na, cb / nb, (ca + cb) / (na + nb)
    z = (pa - pb) / math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    return z, scipy.stats.norm.sf(z)


# ---------------------------------------------------------------- proportion_test

@pytest.mark.parametrize("ca, na, cb, nb", [(45, 50, 30, 50), (240, 400, 220, 400), (90, 100, 80, 100),
                                            (3, 10, 9, 12), (500, 1000, 520, 1000), (1, 7, 0, 5)])
def test_proportion_test_matches_reference_formula(ca, na, cb, nb):
    z, p = proportion_test(ca, na, cb, nb)
    z_ref, p_ref = reference_test(ca, na, cb, nb)
    assert z == pytest.approx(z_ref, rel=1e-12)
    assert p == pytest.approx(p_ref, rel=1e-9)
    assert proportion_test(ca, na, cb, nb, "less")[1] == pytest.approx(scipy.stats.norm.cdf(z_ref), rel=1e-9)


def test_textbook_example_45_of_50_vs_30_of_50():
    # p_a = 0.9, p_b = 0.6, pooled 0.75: z = 0.3 / sqrt(0.75 * 0.25 * 0.04) = 2 sqrt(3)
    z, p = proportion_test(45, 50, 30, 50)
    assert z == pytest.approx(2 * math.sqrt(3), rel=1e-12)
    assert p == pytest.approx(2.66e-4, rel=1e-2)
    assert p < 0.01


def test_two_sided_equals_uncorrected_chi_square():
    # scipy's 2x2 chi-square without Yates correction is the square of the pooled z
    for ca, na, cb, nb in [(45, 50, 30, 50), (240, 400, 220, 400), (12, 40, 20, 35)]:
        z, p_two = proportion_test(ca, na, cb, nb, alternative="two-sided")
        chi2, p_chi2, _, _ = scipy.stats.chi2_contingency([[ca, na - ca], [cb, nb - cb]], correction=False)
        assert z * z == pytest.approx(chi2, rel=1e-10)
        assert p_two == pytest.approx(p_chi2, rel=1e-9)
        assert proportion_test(ca, na, cb, nb)[1] == pytest.approx(p_chi2 / 2 if z > 0 else 1 - p_chi2 / 2, rel=1e-9)


def test_agrees_with_exact_permutation_mid_p():
    # Permutation distribution of A's correct count given the pooled total is hypergeometric;
    # its mid-p converges to the z-test's p for moderate n.
    for ca, na, cb, nb in [(240, 400, 220, 400), (520, 1000, 500, 1000), (90, 100, 80, 100)]:
        exact = scipy.stats.hypergeom(na + nb, ca + cb, na)
        mid_p = exact.sf(ca) + 0.5 * exact.pmf(ca)
        assert proportion_test(ca, na, cb, nb)[1] == pytest.approx(mid_p, rel=0.08)


def test_p_values_are_calibrated_under_the_null():
    rng = np.random.default_rng(20240611)
    a, b = rng.binomial(300, 0.6, size=(2, 4000))
    p = np.array([proportion_test(int(x), 300, int(y), 300)[1] for x, y in zip(a, b)])
    assert 0.03 <= np.mean(p < 0.05) <= 0.07
    assert 0.002 <= np.mean(p < 0.01) <= 0.02
    assert 0.17 <= np.mean(p < 0.2) <= 0.23


def test_degenerate_proportions():
    assert proportion_test(0, 10, 0, 20) == (0.0, 0.5)
    assert proportion_test(10, 10, 20, 20) == (0.0, 0.5)
    assert proportion_test(10, 10, 20, 20, alternative="two-sided") == (0.0, 1.0)
    z, p = proportion_test(10, 10, 0, 10)  # all right vs all wrong: not degenerate
    assert z > 4 and p < 1e-4


def test_equal_proportions_give_half():
    assert proportion_test(30, 60, 15, 30) == (0.0, 0.5)


def test_fractional_counts_are_accepted():
    z, p = proportion_test(45.5, 50, 30.25, 50)
    assert (z, p) == pytest.approx(reference_test(45.5, 50, 30.25, 50))


@pytest.mark.parametrize("args, message", [
    ((-1, 10, 5, 10), "correct_a"),
    ((11, 10, 5, 10), "correct_a"),
    ((5, 0, 5, 10), "n_a"),
    ((5, 10, 5, -3), "n_b"),
    ((5, 10, 12, 10), "correct_b"),
    ((float("nan"), 10, 5, 10), "finite"),
])
def test_bad_counts_raise_input_error(args, message):
    with pytest.raises(InputError, match=message):
        proportion_test(*args)


def test_bad_types_and_alternative():
    with pytest.raises(InputTypeError, match="real number"):
        proportion_test("5", 10, 5, 10)
    with pytest.raises(InputTypeError):
        proportion_test(True, 10, 5, 10)
    with pytest.raises(InputError, match="alternative"):
        proportion_test(5, 10, 5, 10, alternative="bigger")
    assert issubclass(InputError, ValueError)


# ---------------------------------------------------------------- summaries and comparisons

A, B = "Siamese LT-v2", "Baseline"


def synthetic_rows():
    """Three runs per model. test: A 0.90/0.92/0.94 vs B 0.75/0.77/0.79 (n 200), a clear win;
    train: A 0.970/0.975/0.980 vs B 0.972/0.976/0.978 (n 1000), no difference."""
    rows = []
    for run in range(3):
        rows += [
            {"model": A, "run": run, "subset": "train", "loss": 0.05 + 0.01 * run, "accuracy": (970 + 5 * run) / 1000,
             "n": 1000, "correct": 970 + 5 * run},
            {"model": A, "run": run, "subset": "test", "loss": 0.2 + 0.1 * run, "accuracy": (180 + 4 * run) / 200,
             "n": 200, "correct": 180 + 4 * run},
            {"model": B, "run": run, "subset": "train", "loss": 0.06, "accuracy": (972 + 2 * run + (run == 2) * 2) / 1000,
             "n": 1000, "correct": 972 + 2 * run + (run == 2) * 2},
            {"model": B, "run": run, "subset": "test", "loss": 0.5 + 0.2 * run, "accuracy": (150 + 4 * run) / 200,
             "n": 200, "correct": 150 + 4 * run},
        ]
    rows.append({"model": A, "run": 0, "subset": "test_cleft", "loss": 0.38, "accuracy": 0.9, "n": 50, "correct": 45})
    return rows


def by_key(summary):
    return {(e["model"], e["subset"]): e for e in summary}


def test_summarize_runs_means_and_sample_std():
    summary = summarize_runs(synthetic_rows())
    assert [(e["model"], e["subset"]) for e in summary] == [
        (A, "train"), (A, "test"), (B, "train"), (B, "test"), (A, "test_cleft")]
    s = by_key(summary)
    assert s[A, "test"]["accuracy_mean"] == pytest.approx(0.92)
    assert s[A, "test"]["accuracy_std"] == pytest.approx(0.02)  # ddof=1
    assert s[A, "test"]["loss_mean"] == pytest.approx(0.3)
    assert s[A, "test"]["loss_std"] == pytest.approx(0.1)
    assert s[B, "test"]["loss_std"] == pytest.approx(0.2)
    assert s[B, "train"]["loss_std"] == 0.0
    assert (s[A, "test"]["runs"], s[A, "test"]["n"], s[A, "test"]["correct_total"]) == (3, 200, 552)
    single = s[A, "test_cleft"]
    assert (single["runs"], single["accuracy_std"], single["loss_std"]) == (1, 0.0, 0.0)


def test_compare_models_uses_mean_accuracy_and_per_run_n():
    rows = synthetic_rows()
    result = compare_models(rows, A, B, alpha=0.01)
    assert set(result) == {"train", "test"}  # test_cleft: B has no rows
    z, p = proportion_test(184, 200, 154, 200)  # mean correct per run of each model
    assert result["test"] == {"z": pytest.approx(z), "p": pytest.approx(p), "significant": True}
    assert result["train"]["significant"] is False
    assert result["train"]["p"] > 0.3
    # pooling all runs' samples (n = 600) would claim far more evidence than there is
    assert proportion_test(552, 600, 462, 600)[1] < p / 100
    reverse = compare_models(rows, B, A)
    assert reverse["test"]["p"] == pytest.approx(1 - p) and not reverse["test"]["significant"]


def test_rows_are_checked():
    rows = synthetic_rows()
    with pytest.raises(InputError, match="missing key"):
        summarize_runs([{k: v for k, v in rows[0].items() if k != "correct"}])
    with pytest.raises(InputError, match="appears twice"):
        summarize_runs(rows + [rows[0]])
    with pytest.raises(InputError, match="does not match"):
        summarize_runs([{**rows[0], "accuracy": 0.5}])
    with pytest.raises(InputError, match="correct"):
        summarize_runs([{**rows[0], "correct": 1001, "accuracy": 1.001}])
    with pytest.raises(InputError, match="n to be a positive"):
        summarize_runs([{**rows[0], "n": 0}])
    with pytest.raises(InputError, match="'Nobody' has no rows"):
        compare_models(rows, "Nobody", B)
    with pytest.raises(InputError, match="alpha"):
        compare_models(rows, A, B, alpha=1.5)


# ---------------------------------------------------------------- tables

def test_results_table_layout_and_stars():
    rows = synthetic_rows()
    summary, comparisons = summarize_runs(rows), compare_models(rows, A, B)
    csv_text, md = tables.results_table(summary, comparisons, [A, B], ["train", "test", "test_cleft", "mystery"])
    lines = md.splitlines()
    assert lines[0] == "| Set | Model | Loss ↓ | Accuracy ↑ |"
    assert "| Test | Siamese LT-v2 | 0.30 ± 0.10 | 0.92* ± 0.02 |" in lines
    assert "| | Baseline | 0.70 ± 0.20 | 0.77 ± 0.02 |" in [" ".join(line.split()) for line in lines]
    train_lead = next(line for line in lines if line.startswith("| Training |"))
    assert "*" not in train_lead and A in train_lead
    assert "| Test cleft lip | Siamese LT-v2 | 0.38 ± 0.00 | 0.90 ± 0.00 |" in lines
    assert any(line.startswith("| mystery |") and "n/a" in line for line in lines)  # unknown name as given
    assert "p < 0.01" in md

    parsed = list(csv.DictReader(io.StringIO(csv_text)))
    assert tuple(parsed[0]) == tables.CSV_COLUMNS
    assert len(parsed) == 5  # train x2, test x2, test_cleft x1; no rows for missing entries
    lead_test = next(r for r in parsed if r["model"] == A and r["subset"] == "test")
    assert float(lead_test["accuracy_mean"]) == pytest.approx(0.92)
    assert float(lead_test["accuracy_std"]) == pytest.approx(0.02)
    assert int(lead_test["runs"]) == 3 and int(lead_test["n"]) == 200
    assert float(lead_test["p_value_vs_reference"]) == pytest.approx(comparisons["test"]["p"])
    assert lead_test["significant"] == "1"
    ref_test = next(r for r in parsed if r["model"] == B and r["subset"] == "test")
    assert ref_test["p_value_vs_reference"] == "" and ref_test["significant"] == ""
    assert next(r for r in parsed if r["model"] == A and r["subset"] == "train")["significant"] == "0"


def test_loss_star_when_requested_and_small_std_format():
    summary = [{"model": A, "subset": "test", "runs": 7, "n": 100, "loss_mean": 0.16, "loss_std": 0.03,
                "accuracy_mean": 0.99, "accuracy_std": 0.0001},
               {"model": B, "subset": "test", "runs": 7, "n": 100, "loss_mean": 0.32, "loss_std": 0.004,
                "accuracy_mean": 0.91, "accuracy_std": 0.01}]
    comparisons = {"test": {"z": 3.0, "p": 0.001, "significant": True, "loss_significant": True}}
    _, md = tables.results_table(summary, comparisons, [A, B], ["test"])
    assert "| Test | Siamese LT-v2 | 0.16* ± 0.03 | 0.99* ± 0.0001 |" in md
    assert "0.32 ± 0.004" in md


def test_write_tables_atomically(tmp_path):
    rows = synthetic_rows()
    out = tmp_path / "tables"
    csv_path, md_path = tables.write_tables(out, "table1", summarize_runs(rows), compare_models(rows, A, B),
                                            [A, B], ["train", "test"])
    assert csv_path.endswith("table1.csv") and md_path.endswith("table1.md")
    assert sorted(p.name for p in out.iterdir()) == ["table1.csv", "table1.md"]  # no temporaries left
    assert "0.92* ± 0.02" in (out / "table1.md").read_text(encoding="utf-8")
    with pytest.raises(InputError, match="stem"):
        tables.write_tables(out, "sub/table1", [], None, [A])


# ---------------------------------------------------------------- figures

def open_png(path):
    with PIL.open(path) as im:
        im.load()
        return im.format, im.mode, im.size


def test_accuracy_bar_figure(tmp_path):
    rows = synthetic_rows()
    path = figures.accuracy_bar_figure(summarize_runs(rows), compare_models(rows, A, B), [A, B],
                                       ["train", "test", "test_cleft"], tmp_path / "fig5.png", title="LT-v1 vs LT-v2")
    assert (tmp_path / "fig5.png").stat().st_size > 0
    fmt, mode, (w, h) = open_png(path)
    assert fmt == "PNG" and mode == "RGBA" and h == 600 and w >= 750  # 4 in tall at 150 dpi
    assert [p.name for p in tmp_path.iterdir()] == ["fig5.png"]


def peaked_cam():
    cam = np.zeros((7, 7), np.float32)
    cam[5, 2] = 3.0  # peak in the lower left
    return cam


def test_cam_overlay_puts_red_at_the_peak_and_blue_far_away():
    crop = np.full((70, 70, 3), 128, np.uint8)
    overlay = figures.cam_overlay(crop, peaked_cam())
    assert overlay.dtype == np.uint8 and overlay.shape == (70, 70, 3)
    redness = overlay[..., 0].astype(int) - overlay[..., 2].astype(int)
    y, x = np.unravel_index(np.argmax(redness), redness.shape)
    assert 50 <= y < 60 and 20 <= x < 30  # inside the 10x10 block the CAM cell (5, 2) covers
    assert redness[y, x] > 40
    far = overlay[5, 65].astype(int)
    assert far[2] > far[0] + 40  # the coolest region is blue
    # exactly the documented blend where the normalized CAM is 0 (jet(0) = dark blue)
    jet0 = np.array(figures.colormaps["jet"](0.0)[:3]) * 255
    assert np.abs(far - np.rint(0.55 * 128 + 0.45 * jet0)).max() <= 1


def test_resize_bilinear_matches_opencv():
    cv2 = pytest.importorskip("cv2")
    plane = np.random.default_rng(1).random((5, 9)).astype(np.float32)
    ours = figures.resize_bilinear(plane, 23, 17)
    ref = cv2.resize(plane, (17, 23), interpolation=cv2.INTER_LINEAR)
    assert np.abs(ours - ref).max() < 1e-5


def test_cam_overlay_rejects_bad_input():
    crop = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(InputTypeError, match="uint8"):
        figures.cam_overlay(crop.astype(np.float32), np.ones((2, 2)))
    with pytest.raises(InputError, match=r"\(S, S, 3\)"):
        figures.cam_overlay(np.zeros((8, 8), np.uint8), np.ones((2, 2)))
    with pytest.raises(InputError, match="2-D"):
        figures.cam_overlay(crop, np.ones((2, 2, 2)))
    with pytest.raises(InputError, match="finite"):
        figures.cam_overlay(crop, np.array([[np.nan, 1.0]]))
    assert np.all(figures.cam_overlay(crop, -np.ones((3, 3)))[..., 0] == 0)  # nothing towards abnormal: all blue
    assert np.all(figures.cam_overlay(crop, np.ones((3, 3)))[..., 2] == 0)  # everything towards abnormal: all red


def test_cam_grid_figure(tmp_path):
    rng = np.random.default_rng(0)
    items = [{"crop": rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), "cam": peaked_cam(),
              "p_abnormal": p, **({"title": "patient 3"} if k == 2 else {})}
             for k, p in enumerate([0.93, 0.88, 0.53, 0.57])]
    path = figures.cam_grid_figure(items, tmp_path / "fig6.png", columns=3)
    fmt, mode, (w, h) = open_png(path)
    assert fmt == "PNG" and mode == "RGBA" and w == round(3 * 3.2 * 150) and h == round(2 * 1.95 * 150)
    with pytest.raises(InputError, match="p_abnormal"):
        figures.cam_grid_figure([{**items[0], "p_abnormal": 1.5}], tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_training_curve_figure(tmp_path):
    history = [{"epoch": e, "train_loss": 1 / e, "dev_loss": 0.5 + (e - 4) ** 2 / 20, "dev_accuracy": 0.8 + e / 100}
               for e in range(10, 0, -1)]  # any order
    path = figures.training_curve_figure(history, tmp_path / "curve.png")
    fmt, mode, _ = open_png(path)
    assert fmt == "PNG" and mode == "RGBA" and (tmp_path / "curve.png").stat().st_size > 0
    no_accuracy = [{k: v for k, v in h.items() if k != "dev_accuracy"} for h in history]
    assert open_png(figures.training_curve_figure(no_accuracy, tmp_path / "curve2.png"))[0] == "PNG"
    with pytest.raises(InputError, match="missing"):
        figures.training_curve_figure([{"epoch": 1, "train_loss": 0.3}], tmp_path / "bad.png")
