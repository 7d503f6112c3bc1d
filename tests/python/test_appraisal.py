"""The default appraisal (docs/appraisal.md): PaDiM map, map-inpaint, calibration, `facenorm score IMG`."""
import json
import shutil

import numpy as np
import pytest

import facenorm as fn
from facenorm.appraisal.alignment import CROP_SIZE, align, anchor_points, canonical_anchors
from facenorm.appraisal.anomaly_model import AnomalyModel, default_anomaly_model
from facenorm.appraisal.appraise import Evidence
from facenorm.appraisal.calibration import AppraisalCalibration, fit_calibration, save_calibration
from facenorm.appraisal.dev_anomalies import paste_gap
from facenorm.appraisal.map_inpaint import MapInpaintNormalizer
from facenorm.appraisal.normal_faces import age_group, is_held_out, utkface_age
from facenorm.appraisal.padim import MomentAccumulator, mahalanobis, mahalanobis_reference

from cli_runner import facenorm


@pytest.fixture(scope="module")
def astronaut(astronaut_path):
    image = fn.read_image(astronaut_path)
    return image, fn.FacePipeline().faces(image)[0].landmarks


def test_alignment_puts_the_anchors_on_the_template(astronaut):
    image, landmarks = astronaut
    crop = align(image, landmarks)
    assert crop.image.shape == (CROP_SIZE, CROP_SIZE, 3)
    error = np.linalg.norm(anchor_points(crop.landmarks) - canonical_anchors(), axis=1)
    assert error.max() < 8.0  # px of a 224 crop; a least-squares fit of six points, not exact


def test_mahalanobis_matches_the_slow_reference():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(40, 6, 3, 3)).astype(np.float32)
    acc = MomentAccumulator(6, 3)
    acc.add(data)
    mean, precision = acc.gaussians(0.1)
    fast = mahalanobis(data[:2], mean.astype(np.float32), precision.astype(np.float32))
    slow = mahalanobis_reference(data[1], mean, precision)
    np.testing.assert_allclose(fast[1], slow, rtol=1e-4)


def test_the_map_is_zero_mean_on_the_fitting_faces(shared_data, tmp_path):
    from facenorm.appraisal.anomaly_fit import fit_anomaly_model
    from facenorm.appraisal.feature_cache import build_feature_cache
    from facenorm.appraisal.features import Embedder, GRID

    files = sorted((shared_data / "utkface" / "images").glob("1_*.jpg"))[:12]
    if len(files) < 12:
        pytest.skip("UTKFace images missing")
    cache = tmp_path / "cache.h5"
    embedder = Embedder(channels=16, seed=3)
    listed = [(str(f), "0-2") for f in files]
    build_feature_cache(cache, listed[:5], embedder, progress=False)  # as if killed after five faces...
    import h5py
    with h5py.File(cache, "a") as f:
        f.attrs["files"] = 12                                          # ...of the twelve it was given
    summary = build_feature_cache(cache, listed, embedder, progress=False)  # resumes, no duplicates
    assert summary["faces"] + summary["skipped"] == 12
    model = fit_anomaly_model(cache, channels=16, seed=3, shrinkage=0.1, progress=False)
    with h5py.File(cache, "r") as f:
        emb = f["features/" + embedder.key][:].astype(np.float32).reshape(-1, 16, GRID, GRID)
        assert len(set(f["faces/path"].asstr()[:])) == summary["faces"]
    z = model.standardized(emb)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=1e-3)


def test_the_map_is_finite_on_a_flat_image(astronaut):
    image, landmarks = astronaut
    flat = np.full_like(image, 128)
    amap = fn.anomaly_map(flat, landmarks)
    assert np.all(np.isfinite(amap.crop_map)) and np.all(np.isfinite(amap.image_map()))


def test_a_pasted_dark_gap_raises_the_map_there_and_nowhere_else(astronaut):
    import cv2
    image, landmarks = astronaut
    gapped, changed = paste_gap(image, landmarks, side=1, severity=1.0)
    before, after = fn.anomaly_map(image, landmarks), fn.anomaly_map(gapped, landmarks)
    rise = after.crop_map - before.crop_map
    # The gap in crop pixels, grown by two feature cells (16 px): the map's reach.
    gap_crop = cv2.warpAffine(changed.astype(np.uint8), before.crop.matrix, (CROP_SIZE, CROP_SIZE),
                              flags=cv2.INTER_NEAREST)
    near = cv2.dilate(gap_crop, np.ones((33, 33), np.uint8)) > 0
    assert rise[near].max() > 1.5                       # z units
    assert np.abs(rise[~near]).max() < 0.5 * rise[near].max()
    peak = after.peak()
    ys, xs = np.nonzero(changed)
    assert abs(peak["x"] - xs.mean()) < 25 and abs(peak["y"] - ys.mean()) < 25


def test_inpainting_leaves_every_pixel_outside_its_mask_bit_identical(astronaut):
    image, landmarks = astronaut
    gapped, _ = paste_gap(image, landmarks, side=-1, severity=1.0)
    result = MapInpaintNormalizer(threshold="1.0").normalize(gapped, landmarks)
    hole = result.changed > 0
    assert hole.any() and result.info["passes_run"] >= 1
    assert np.array_equal(result.image[~hole], gapped[~hole])
    # Holes stay in the mouth-and-nose region (grown by the dilation): nothing above the nose is touched.
    assert np.nonzero(hole)[0].min() > landmarks[27:30, 1].mean()


def test_calibration_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    evidences = [Evidence(float(m), float(f)) for m, f in zip(rng.normal(1, 1, 200), rng.exponential(0.1, 200))]
    groups = ["0-2" if i % 2 else "18-59" for i in range(200)]
    doc = fit_calibration({"mouth_nose": evidences}, groups, inpaint_threshold=3.3)
    save_calibration(tmp_path, doc)
    loaded = AppraisalCalibration.load(tmp_path / "calibration.json")
    assert loaded.inpaint_threshold(0.0) == pytest.approx(3.3)
    anomalies = [loaded.anomaly(e, "mouth_nose") for e in evidences]
    assert np.median(anomalies) == pytest.approx(0.0, abs=1e-9)
    normality, among, note = loaded.normality(float(np.median(anomalies)), "mouth_nose", "0-2")
    assert 35 < normality < 65 and among == "age 0-2" and note is None
    assert loaded.normality(1e9, "mouth_nose", None)[0] == 0.0
    assert loaded.normality(-1e9, "mouth_nose", None)[0] == 100.0


def test_age_groups_from_years_and_utkface_names():
    assert age_group(0) == "0-2" and age_group(2.9) == "0-2" and age_group(3) == "3-5"
    assert age_group(17) == "13-17" and age_group(60) == "60+" and age_group(None) is None
    assert utkface_age("/x/4_0_1_2017.jpg") == 4 and utkface_age("face.jpg") is None
    with pytest.raises(fn.InputError):
        age_group(-1)


def test_the_shipped_model_rates_a_gap_below_the_face_itself(astronaut):
    image, landmarks = astronaut
    gapped, _ = paste_gap(image, landmarks, side=1, severity=1.0)
    plain, cleft = fn.appraise(image, landmarks), fn.appraise(gapped, landmarks)
    assert cleft.score < plain.score
    assert cleft.normality is not None and plain.normality is not None and cleft.normality < plain.normality
    assert cleft.region_heat["mouth_nose"] > 0.5


def test_bad_inputs_are_refused_clearly(astronaut, tmp_path):
    image, landmarks = astronaut
    with pytest.raises(fn.InputTypeError, match="uint8"):
        fn.anomaly_map(image.astype(np.float32), landmarks)
    with pytest.raises(fn.InputError, match="68"):
        fn.anomaly_map(image, landmarks[:10])
    with pytest.raises(fn.NoFaceError):
        fn.anomaly_map(np.full((200, 200, 3), 90, np.uint8))
    broken = tmp_path / "model"
    shutil.copytree(default_anomaly_model().folder, broken)
    with open(broken / "gaussians.npz", "r+b") as f:
        f.truncate(1000)
    with pytest.raises(fn.ModelError, match="checksum"):
        AnomalyModel.load(broken)
    with pytest.raises(fn.InputError, match="region"):
        fn.appraise(image, landmarks, region="ears")
    with pytest.raises(fn.InputError, match="option region"):
        MapInpaintNormalizer(region="ears")


def test_score_with_no_other_argument_gives_a_calibrated_rating(astronaut_path, tmp_path):
    figure = tmp_path / "appraisal.png"
    proc = facenorm("score", astronaut_path, "--json", "--age", "40", "--heatmap", str(figure))
    doc = json.loads(proc.stdout)
    assert {"score", "normality", "region", "normalizer", "peak", "region_heat"} <= set(doc)
    assert doc["normalizer"].startswith("map-inpaint") and doc["region"] == "mouth"
    assert 0 <= doc["normality"] <= 100 and doc["normality_among"] == "age 18-59"
    assert figure.stat().st_size > 10000


def test_score_of_a_photo_without_a_face_is_a_clear_error(tmp_path):
    flat = tmp_path / "flat.png"
    fn.write_image(str(flat), np.full((240, 240, 3), 128, np.uint8))
    proc = facenorm("score", str(flat), "--json", check=False)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["error_type"] == "NoFaceError"


def test_fit_anomaly_model_writes_a_model_that_maps(shared_data, tmp_path, astronaut):
    """The fitting command end to end on a small copy of the data layout it expects."""
    data = tmp_path / "data"
    utk = data / "utkface" / "images"
    utk.mkdir(parents=True)
    for f in sorted((shared_data / "utkface" / "images").glob("2*_*.jpg"))[:40]:
        (utk / f.name).symlink_to(f)
    for part in ("train", "test"):
        (data / "celebamask" / part / "images").mkdir(parents=True)
    out = tmp_path / "model"
    proc = facenorm("fit-anomaly-model", "--data", str(data), "--out", str(out), "--channels", "12",
                    "--calibration-per-group", "0", "--json")
    doc = json.loads(proc.stdout)
    fitting = [f for f in utk.iterdir() if not is_held_out(f.name)]   # held-out files never reach the fit
    assert doc["cache"]["faces"] + doc["cache"]["skipped"] == len(fitting) and doc["cache"]["faces"] > 20
    image, landmarks = astronaut
    amap = fn.anomaly_map(image, landmarks, model=str(out))
    assert np.all(np.isfinite(amap.crop_map)) and amap.cells.shape == (27, 27)


def test_the_api_and_the_cli_give_the_same_rating(astronaut_path):
    doc = json.loads(facenorm("score", astronaut_path, "--json").stdout)
    result = fn.appraise(fn.read_image(astronaut_path))
    assert result.region == doc["region"] == "mouth"
    assert result.to_json()["score"] == doc["score"] and result.to_json()["normality"] == doc["normality"]
