"""The palsy-aware landmark refiner (facenorm.landmarks.refine): its geometry and features against
hand computations, the ridge step against a NumPy reference, a tiny training run on real faces,
the model folder's checks, and the shipped model against dlib on held-out drooped faces."""
import json

import cv2
import numpy as np
import pytest

from facenorm import InputError, ModelError
from facenorm.landmarks.refine.features import (ANCHORS, FeatureLayout, apply, canonical_template, similarity,
                                               shape_features)
from facenorm.landmarks.refine.ridge import RidgeProblem
from facenorm.landmarks.refine.samples import mirrored


def _rotation(angle, scale, shift):
    c, s = scale * np.cos(angle), scale * np.sin(angle)
    return np.array([[c, -s, shift[0]], [s, c, shift[1]]])


def test_similarity_recovers_a_known_similarity_and_never_reflects():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (30, 2))
    truth = _rotation(0.3, 1.7, (5.0, -2.0))
    assert np.allclose(similarity(src, apply(truth, src)), truth, atol=1e-9)
    mirrored_dst = src * [-1, 1]
    assert np.linalg.det(similarity(src, mirrored_dst)[:, :2]) >= 0
    with pytest.raises(InputError, match="coincide"):
        similarity(np.zeros((5, 2)), src[:5])


def test_mirroring_twice_is_the_identity_and_swaps_sides():
    gray = np.arange(12 * 20, dtype=np.uint8).reshape(12, 20)
    pts = np.random.default_rng(1).uniform(0, 19, (68, 2)).astype(np.float32)
    g1, p1 = mirrored(gray, pts)
    assert np.array_equal(g1[:, 0], gray[:, -1])
    assert np.allclose(p1[36], [19 - pts[45, 0], pts[45, 1]])  # right eye corner <- left
    g2, p2 = mirrored(g1, p1)
    assert np.array_equal(g2, gray) and np.allclose(p2, pts)


def test_ridge_matches_the_closed_form():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 7)).astype(np.float32)
    y = x @ rng.normal(size=(7, 3)) + 0.5 + rng.normal(scale=0.1, size=(60, 3))
    problem = RidgeProblem(x, y)
    w, b = problem.solve(0.1)
    xc = x - x.mean(0)
    lam = 0.1 * np.trace(xc.T @ xc) / 7
    ref = np.linalg.solve(xc.T @ xc + lam * np.eye(7), xc.T @ (y - y.mean(0)))
    assert np.allclose(w, ref, atol=1e-4)
    assert np.allclose(b, y.mean(0) - x.mean(0) @ ref, atol=1e-4)


def test_dual_and_weighted_ridge_match_the_primal_closed_form():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 40)).astype(np.float32)  # fewer samples than features: the dual form
    y = rng.normal(size=(12, 4))
    w = rng.uniform(0.5, 3.0, size=12)
    problem = RidgeProblem(x, y, w)
    assert problem.dual
    weights, bias = problem.solve(0.3)
    wn = w / w.mean()
    mx, my = wn @ x / wn.sum(), wn @ y / wn.sum()
    xc, yc = (x - mx) * np.sqrt(wn)[:, None], (y - my) * np.sqrt(wn)[:, None]
    lam = 0.3 * np.trace(xc.T @ xc) / 40
    ref = np.linalg.solve(xc.T @ xc + lam * np.eye(40), xc.T @ yc)
    assert np.allclose(weights, ref, atol=1e-4)
    assert np.allclose(bias, my - mx @ ref, atol=1e-4)


def test_features_do_not_depend_on_the_photos_scale_and_roll(celeba_images, pipeline):
    from facenorm import read_image

    image = read_image(celeba_images[0])
    shape = pipeline.faces(image)[0].landmarks
    layout = FeatureLayout()
    template, canvas = canonical_template(shape[None], layout)
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    f0, _, c0 = shape_features(gray, shape, template, canvas, layout)
    # the same face rotated by 12 degrees and shrunk to 70%
    t = cv2.getRotationMatrix2D((256, 256), 12, 0.7)
    turned = cv2.warpAffine(gray, t, (512, 512), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    f1, _, c1 = shape_features(turned, apply(t, shape), template, canvas, layout)
    assert np.allclose(c0, c1, atol=1e-6)  # the canonical points are the same
    assert np.corrcoef(f0, f1)[0, 1] > 0.9
    # a shape 3 px off reads different features: the features see where the points are
    f2, _, _ = shape_features(gray, shape + [0, 3], template, canvas, layout)
    assert np.corrcoef(f0, f2)[0, 1] < np.corrcoef(f0, f1)[0, 1]
    with pytest.raises(InputError, match="68 finite"):
        shape_features(gray, shape[:60], template, canvas, layout)


@pytest.fixture(scope="module")
def tiny_refiner(shared_data, tmp_path_factory):
    from facenorm.landmarks.refine.samples import refine_samples_from_normal_faces
    from facenorm.landmarks.refine.training import RefinerSettings, train_refiner

    paths = sorted(str(p) for p in (shared_data / "celebamask" / "train" / "images").glob("*.jpg"))[:8]
    samples = refine_samples_from_normal_faces(paths, "both", progress=False)
    out = tmp_path_factory.mktemp("refiner") / "model"
    settings = RefinerSettings(stages=2, grid=2, penalties=(0.01, 0.1), deadbands=(0.0,), dev_fraction=0.15)
    summary = train_refiner(samples, out, settings, progress=False)
    return samples, out, summary


def test_tiny_training_lowers_the_training_error(tiny_refiner):
    samples, out, summary = tiny_refiner
    from facenorm.landmarks.refine.training import point_error

    start = float(point_error(samples.start, samples.truth)[[g != "normal" for g in samples.groups]].mean())
    assert start > 0.005  # dlib lags the droop on the copies
    errors = [h["train_error"] for h in summary["history"][1:]]
    assert errors[-1] < 0.5 * start and errors[-1] <= errors[0] + 1e-6
    assert {"normal", "palsy-left", "palsy-right"} <= set(summary["history"][0]["dev_error"])


def test_model_folder_round_trip_and_checks(tiny_refiner, celeba_images, tmp_path):
    from facenorm import read_image
    from facenorm.landmarks import get_landmarker
    from facenorm.landmarks.refine import RefinedLandmarker

    samples, out, _ = tiny_refiner
    model = get_landmarker(str(out))
    assert isinstance(model, RefinedLandmarker)
    image = read_image(celeba_images[1])
    from facenorm.pipeline import FacePipeline
    face = FacePipeline().faces(image)[0]
    refined = model.predict(image, face.box)
    assert refined.shape == (68, 2) and refined.dtype == np.float32
    assert np.allclose(refined, model.refine(image, face.landmarks))
    with pytest.raises(InputError, match="68, 2"):
        model.refine(image, face.landmarks[:10])
    spec = json.loads((out / "model.json").read_text())
    assert spec["format"] == "facenorm-landmark-refiner" and spec["stages"] == len(spec["history"]) - 1 >= 1
    import shutil
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / "model.json").write_text(json.dumps(dict(spec, stages=0)))
    with pytest.raises(ModelError, match="stages"):
        RefinedLandmarker(broken)
    with open(out / "refiner.npz", "ab") as f:
        f.write(b"x")
    with pytest.raises(ModelError, match="checksum"):
        RefinedLandmarker(out)


def test_a_missing_model_says_how_to_make_one(tmp_path):
    from facenorm import MissingFileError
    from facenorm.landmarks.refine import RefinedLandmarker

    with pytest.raises(MissingFileError, match="train-landmark-refiner"):
        RefinedLandmarker(tmp_path)


def test_anchor_points_are_the_ones_the_droop_leaves_in_place():
    from facenorm.lipsynth.palsy import palsy_landmarks

    rng = np.random.default_rng(3)
    face = np.array([[100 + 300 * (i % 17) / 16, 100 + 300 * (i // 17) / 4] for i in range(68)]) + rng.normal(0, 2, (68, 2))
    moved = palsy_landmarks(face.astype(np.float32), "left", 1.0)
    assert np.allclose(moved[ANCHORS], face[ANCHORS], atol=1e-4)
    assert not np.allclose(moved, face, atol=1e-4)


def test_shipped_refiner_beats_dlib_on_held_out_droops(celeba_images, repo_root):
    from facenorm.landmarks.refine import RefinedLandmarker
    from facenorm.landmarks.refine.samples import refine_samples_from_normal_faces
    from facenorm.landmarks.refine.training import point_error
    from facenorm.landmarks.fcn.asymmetry_error import asymmetry_error

    if not (repo_root / "models" / "landmark_refiner_synthetic" / "model.json").is_file():
        pytest.skip("models/landmark_refiner_synthetic is not in this checkout")
    # the chain's first link, trained on synthetic droops; the shipped palsy default starts from it
    model = RefinedLandmarker(repo_root / "models" / "landmark_refiner_synthetic")
    samples = refine_samples_from_normal_faces(celeba_images[:12], "both", seed=5, progress=False)
    refined = np.stack([model.cascade.refine(im, s) for im, s in zip(samples.images, samples.start)])
    before, after = point_error(samples.start, samples.truth), point_error(refined, samples.truth)
    droop = np.array([g != "normal" for g in samples.groups])
    # measured on these 22 copies: point error -16% (19 of 22 better), asymmetry error -42%
    assert after[droop].mean() < 0.92 * before[droop].mean()
    assert np.mean(after[droop] < before[droop]) >= 0.8
    asym_before = asymmetry_error(samples.start[droop], samples.truth[droop])
    asym_after = asymmetry_error(refined[droop], samples.truth[droop])
    assert asym_after.mean() < 0.8 * asym_before.mean()
    assert after[~droop].mean() < 0.002  # normal faces: under 0.2% of the eye-corner distance moved


def test_commands_train_use_and_compare_the_refiner(shared_data, celeba_images, tmp_path):
    from cli_runner import facenorm

    train = sorted(str(p) for p in (shared_data / "celebamask" / "train" / "images").glob("*.jpg"))[:3]
    args = ("train-landmark-refiner", *train, "--out", str(tmp_path / "m"), "--palsy-copies", "one", "--grid", "1",
            "--penalties", "0.1", "--stages", "1", "--samples", str(tmp_path / "s.npz"), "--json")
    summary = json.loads(facenorm(*args).stdout)
    assert summary["samples"] == 6 and (tmp_path / "s.npz").is_file()
    again = facenorm(*args)
    assert "refiner samples" not in again.stderr  # the cached samples were reused
    cv = json.loads(facenorm(*args[:-1], "--folds", "3", "--out", str(tmp_path / "cv"), "--json").stdout)
    assert cv["folds"] == 3 and cv["summary"]["all"]["refined"]["nme_io"]["n"] == 6
    bad = facenorm("train-landmark-refiner", "--out", str(tmp_path / "x"), check=False)
    assert bad.returncode == 1 and "expected normal face images" in bad.stderr

    doc = json.loads(facenorm("landmarks", celeba_images[0], "--model", str(tmp_path / "m"), "--json").stdout)
    assert len(doc["images"][0]["faces"][0]["landmarks"]) == 68
    doc = json.loads(facenorm("palsy", celeba_images[0], "--no-iris", "--json").stdout)
    assert doc["landmark_model"] == "refined" and doc["images"][0]["error"] is None
    out = tmp_path / "eval"
    doc = json.loads(facenorm("evaluate-landmarks", celeba_images[0], "--model", "dlib", "--model", "refined",
                              "--palsy-copies", "one", "--out", str(out), "--json").stdout)
    assert set(doc["summary"]["normal"]) == {"dlib", "refined"}
    assert "asymmetry error" in (out / "table.md").read_text()


def test_cross_validation_compares_each_held_out_fold_with_dlib(tiny_refiner, tmp_path):
    from facenorm.landmarks.refine.crossval import cross_validate_refiner
    from facenorm.landmarks.refine.training import RefinerSettings

    samples, _, _ = tiny_refiner
    settings = RefinerSettings(stages=1, grid=1, penalties=(0.1,), deadbands=(0.0,))
    doc = cross_validate_refiner(samples, tmp_path, settings, folds=2, progress=False)
    assert doc["folds"] == 2 and set(doc["summary"]["all"]) == {"dlib", "refined"}
    n = len(samples)
    assert doc["summary"]["all"]["dlib"]["nme_io"]["n"] == n           # every sample held out once
    assert doc["summary"]["normal"]["dlib"]["nme_io"]["mean"] == 0      # dlib's points are the truth there
    assert (tmp_path / "fold_1" / "model.json").is_file() and (tmp_path / "paired.md").is_file()
    import csv
    rows = list(csv.DictReader(open(tmp_path / "crossval.csv")))
    assert len(rows) == 2 * n and {r["fold"] for r in rows} == {"0", "1"}
    again = cross_validate_refiner(samples, tmp_path, settings, folds=2, progress=False)  # folds reused
    assert again["summary"] == doc["summary"]
