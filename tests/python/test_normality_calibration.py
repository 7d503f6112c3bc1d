"""The 0-100 normality: curve fitting, the shipped calibration file, and clear errors."""
import json

import numpy as np
import pytest

import facenorm as fn
from facenorm.score import Calibration, NormalityCurve, calibration_key, fit_normality_curve
from facenorm.score.calibration import DEFAULT_CALIBRATION, save_calibration


def test_fit_recovers_a_known_curve():
    rng = np.random.default_rng(0)
    truth = NormalityCurve(midpoint=2.0, width=0.5)
    x = rng.uniform(-1, 5, 400)
    normal = np.array([truth(v) / 100 for v in x])
    fit = fit_normality_curve(x, 1 - normal)
    assert fit.midpoint == pytest.approx(2.0, abs=1e-6) and fit.width == pytest.approx(0.5, abs=1e-6)
    assert fit(2.0) == pytest.approx(50.0) and fit(-50) < 1e-6 and fit(1e6) == pytest.approx(100.0)


def test_fit_refuses_data_that_cannot_calibrate():
    with pytest.raises(fn.InputError, match="does not increase"):
        fit_normality_curve([0, 1, 2, 3, 4], [0, 0.2, 0.5, 0.8, 1.0])  # normality falls with x
    with pytest.raises(fn.InputError, match="equal-length"):
        fit_normality_curve([0, 1, 2], [0, 1])
    with pytest.raises(fn.InputError, match="finite"):
        fit_normality_curve([0, np.nan, 2, 3], [0, 0.2, 0.5, 1.0])
    with pytest.raises(fn.InputError, match="vary"):
        fit_normality_curve([0, 1, 2, 3], [0.5] * 4)


def test_shipped_calibration_covers_the_paper_settings():
    cal = Calibration.load()
    assert cal.path == DEFAULT_CALIBRATION and cal.info["faces"] >= 100
    for region in fn.REGIONS:
        for method in ("pse", "ssim"):
            for colour, erosion in fn.score.VARIANTS.values():
                key = calibration_key("reference", method, colour, erosion, region)
                curve = cal.curves[key]
                assert curve.width > 0
                assert cal.normality(key, curve.midpoint + 5 * curve.width) > 99
                assert cal.normality(key, curve.midpoint - 5 * curve.width) < 1
    assert cal.normality("someone/else/rgb/0/lip", 1.0) is None


def test_calibration_files_are_checked_and_written_whole(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(fn.ModelError, match="not a facenorm normality calibration"):
        Calibration.load(bad)
    with pytest.raises(fn.ModelError, match="calibrate-score"):
        Calibration.load(tmp_path / "absent.json")
    out = tmp_path / "cal.json"
    save_calibration(out, {"k": NormalityCurve(1.0, 2.0)}, {"faces": 3}, {"k": {"n": 4}})
    assert not (tmp_path / "cal.json.tmp").exists()
    doc = json.loads(out.read_text())
    assert doc["curves"]["k"] == {"midpoint": 1.0, "width": 2.0, "n": 4}
    assert Calibration.load(out).normality("k", 1.0) == 50.0
