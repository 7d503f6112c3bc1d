"""The palsy assessment: the logistic fit against a slow reference, mirror consistency, folds by
subject, calibration measured on folds of the real annotated photos (skipped without them)."""
import numpy as np
import pytest

from facenorm._core import InputError, ModelError
from facenorm.landmarks.fcn.nme import subject_folds
from facenorm.palsy.assessment import FEATURES, PalsyAssessor, feature_vector, signed_asymmetries
from facenorm.palsy.assessment_training import (AssessmentData, calibration_table, cross_validate_assessment,
                                                fit_assessment)
from facenorm.palsy.logistic import fit_logistic
from facenorm.palsy.midline import mirror_landmarks


@pytest.fixture(scope="module")
def palda(shared_data):
    from facenorm.landmarks.fcn.annotations import read_annotated_folder

    root = shared_data / "palda_dev"
    if not root.is_dir():
        pytest.skip(f"real annotated palsy photos not found at {root}")
    return [a for g in ("central", "peripheral", "healthy") for a in read_annotated_folder(root / g)]


@pytest.fixture(scope="module")
def palda_truth(palda):
    """The assessment data on the hand-clicked points (no detector: fast, and the points are the
    best a landmarker could give)."""
    return AssessmentData(np.stack([a.landmarks for a in palda]), [a.group for a in palda],
                          [a.subject for a in palda], truth=np.stack([a.landmarks for a in palda]))


def test_logistic_fit_matches_a_generic_optimizer():
    from scipy.optimize import minimize

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3)) * [1.0, 3.0, 0.5] + [0.0, 2.0, -1.0]
    y = (x @ [1.0, -0.4, 2.0] + rng.logistic(size=80) > -1.0).astype(float)
    model = fit_logistic(x, y, ("a", "b", "c"), penalty=2.0)
    z = (x - x.mean(0)) / x.std(0)

    def loss(beta):  # the same penalized negative log-likelihood, written out
        t = z @ beta[:3] + beta[3]
        return np.sum(np.logaddexp(0, t) - y * t) + 1.0 * np.sum(beta[:3] ** 2)

    ref = minimize(loss, np.zeros(4), method="BFGS", options={"gtol": 1e-9}).x
    assert np.allclose(model.coef, ref[:3], atol=1e-4) and abs(model.intercept - ref[3]) < 1e-4
    assert np.allclose(model.probability(x), 1 / (1 + np.exp(-(z @ ref[:3] + ref[3]))), atol=1e-5)


def test_logistic_refuses_one_class_and_wrong_shapes():
    with pytest.raises(InputError, match="both present"):
        fit_logistic(np.zeros((5, 1)), np.ones(5), ("a",))
    with pytest.raises(InputError, match="expected x"):
        fit_logistic(np.zeros((5, 2)), np.array([0, 1, 0, 1, 0]), ("a",))


def test_folds_never_share_a_subject(palda):
    subjects = [a.subject for a in palda]
    assert len(set(subjects)) < len(subjects)  # several photos of one person exist: the test can fail
    for train, test in subject_folds(subjects, 5, 0):
        assert not {subjects[i] for i in train} & {subjects[i] for i in test}
        assert len(train) + len(test) == len(subjects)


def test_mirrored_face_flips_the_side_and_keeps_p_palsy(palda_truth):
    assessor = PalsyAssessor.from_spec(fit_assessment(palda_truth, 3.0))
    palsy = [i for i, g in enumerate(palda_truth.groups) if g != "healthy"]
    sides = set()
    for i in palsy[:12]:
        lm = palda_truth.landmarks[i]
        width = int(lm[:, 0].max()) + 50
        a, b = assessor.assess(lm), assessor.assess(mirror_landmarks(lm, width))
        assert abs(a.p_palsy - b.p_palsy) < 1e-6 and abs(a.p_peripheral - b.p_peripheral) < 1e-6
        assert np.allclose(feature_vector(lm), feature_vector(mirror_landmarks(lm, width)), atol=1e-6)
        if a.side != "none":
            assert {a.side, b.side} == {"left", "right"}
            sides.add(a.side)
    assert sides == {"left", "right"}  # both sides occur, so the flip is really tested


def test_calibration_and_discrimination_on_held_out_folds(palda_truth):
    cv = cross_validate_assessment(palda_truth, folds=5)
    p, y = np.array(cv["out_of_fold"]["p_palsy"]), palda_truth.palsy
    # out-of-fold, on hand-clicked points: calibrated in the large and in bins, and discriminating
    assert abs(p.mean() - y.mean()) < 0.05
    assert cv["brier_palsy"] < 0.12
    for row in calibration_table(p, y, bins=4):
        if row["n"] >= 10:
            assert abs(row["predicted"] - row["observed"]) < 0.2, row
    assert cv["auc_palsy"]["auc"] > 0.9
    assert cv["auc_type"]["auc"] > 0.6  # peripheral palsy spares no forehead: brow asymmetry tells
    assert set(cv["out_of_fold"]["fold"]) == set(range(5))


def test_features_are_scale_free_and_signed():
    from facenorm.palsy.midline import MIRROR
    import facenorm as fn

    shape = fn.generic_face_model_3d()[:, :2].astype(np.float64)
    face = ((shape + shape[MIRROR] * [-1.0, 1.0]) / 2 * 100 + 256)
    assert np.allclose(list(signed_asymmetries(face).values()), 0, atol=1e-9)
    drooped = face.copy()
    drooped[54, 1] += 6.0  # the subject's left mouth corner lower
    s = signed_asymmetries(drooped)
    assert s["corner"] > 0 and abs(s["brow"]) < 1e-9
    big = signed_asymmetries(drooped * 3.0)
    assert all(abs(big[f] - s[f]) < 1e-9 for f in FEATURES)


def test_bad_model_and_landmarks_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-palsy-assessment"):
        PalsyAssessor(tmp_path)
    (tmp_path / "model.json").write_text('{"format": "something else"}')
    with pytest.raises(ModelError, match="expected format"):
        PalsyAssessor(tmp_path)
    with pytest.raises(InputError, match="68 finite"):
        signed_asymmetries(np.zeros((5, 2)))
    with pytest.raises(InputError, match="groups"):
        AssessmentData(np.zeros((2, 68, 2)), ["healthy", "stroke"], ["a", "b"])


def test_shipped_refiner_chains_and_gates(repo_root, palda):
    import facenorm as fn
    from facenorm.detection import FaceDetector
    from facenorm.landmarks import get_landmarker
    from facenorm.landmarks.refine.model import RefinedLandmarker
    from facenorm.landmarks.labelled_faces import annotated_face_box

    model = get_landmarker("refined")
    assert isinstance(model, RefinedLandmarker) and model.gate is not None
    assert isinstance(model.start, RefinedLandmarker)  # dlib -> synthetic-droop refiner -> real-photo stage
    detector, gates = FaceDetector(), []
    for a in [a for a in palda if a.group == "peripheral"][:3] + [a for a in palda if a.group == "healthy"][:3]:
        image = fn.read_image(a.path)
        d = model.predict_detail(image, annotated_face_box(detector, image, a.landmarks))
        assert 0.0 <= d.gate <= 1.0 and 0.0 <= d.p_palsy <= 1.0
        assert np.allclose(d.points, d.start + d.gate * (d.full - d.start), atol=1e-3)
        gates.append(d.gate)
    assert max(gates) > min(gates)  # the gate does depend on the face


def test_real_palsy_landmarks_beat_dlib_in_subject_cross_validation(palda, tmp_path):
    """The shipped recipe, cross-validated by subject on the real annotated photos: the chained
    refiner's out-of-fold points, gated by an out-of-fold palsy assessment, against dlib. (Without
    the assessment's extra UTKFace faces, to stay fast; with them and the shipped gate 0.3-0.8 the
    ratios are 0.876 / 1.011, docs/results.md.)"""
    from dataclasses import replace

    from facenorm.landmarks.refine.crossval import cross_validate_refiner
    from facenorm.landmarks.refine.model import RefinedLandmarker
    from facenorm.landmarks.refine.samples import refine_samples_from_annotations
    from facenorm.models import model_dir
    from facenorm.palsy.assessment_training import data_from_predictions

    samples = refine_samples_from_annotations(palda, progress=False)
    dlib = samples.start
    first = RefinedLandmarker(model_dir("landmark_refiner_synthetic")).cascade
    samples = replace(samples, start=np.stack([first.refine(im, s) for im, s in zip(samples.images, samples.start)]))
    cross_validate_refiner(samples, tmp_path, folds=5, progress=False, dlib=dlib)
    data = data_from_predictions(tmp_path / "predictions.npz")
    cv = cross_validate_assessment(data, folds=5)
    gated = next(r for r in cv["gate"] if (r["low"], r["high"]) == (0.5, 0.9))["nme_box_ratio_to_dlib"]
    # measured: palsy 0.873, healthy 1.015 (central 0.873, peripheral 0.873); AUC 0.93
    assert gated["palsy"] < 0.9 and gated["central"] < 0.92 and gated["peripheral"] < 0.92
    assert gated["healthy"] < 1.05
    assert cv["auc_palsy"]["auc"] > 0.88


def test_cli_trains_an_assessment_that_palsy_uses(shared_data, palda, tmp_path):
    import json

    from cli_runner import facenorm

    root = shared_data / "palda_dev"
    out = tmp_path / "assessment"
    proc = facenorm("train-palsy-assessment", "--annotated", str(root / "central"), "--annotated",
                    str(root / "peripheral"), "--annotated", str(root / "healthy"), "--model", "dlib",
                    "--out", str(out), "--figure", str(tmp_path / "roc.png"), "--json")
    doc = json.loads(proc.stdout)
    assert doc["photos"] == 102 and 0.75 < doc["auc_palsy"]["auc"] < 1.0  # dlib's points: 0.87
    assert (out / "model.json").is_file() and (tmp_path / "roc.png").stat().st_size > 10000
    photo = next(a.path for a in palda if a.group == "peripheral")
    run = facenorm("palsy", photo, "--model", "dlib", "--assessment", str(out), "--csv", str(tmp_path / "m.csv"),
                   "--json")
    image = json.loads(run.stdout)["images"][0]
    assert set(image["assessment"]) >= {"p_palsy", "side", "type", "p_type", "features"}
    header = (tmp_path / "m.csv").read_text().splitlines()[0].split(",")
    assert header[:6] == ["path", "error", "p_palsy", "side", "type", "p_type"] and "asym_tilt" in header
    bad = facenorm("train-palsy-assessment", "--out", str(tmp_path / "x"), "--json", check=False)
    assert bad.returncode == 1 and json.loads(bad.stdout)["error_type"] == "InputError"


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_strong_synthetic_droop_is_called_palsy_on_its_side(astronaut_path, pipeline, side):
    import facenorm as fn
    from facenorm.landmarks import get_landmarker

    image = fn.read_image(astronaut_path)
    face = pipeline.faces(image)[0]
    assessor = PalsyAssessor()
    normal = assessor.assess(face.landmarks)
    drooped = fn.palsy_transform(image, face.landmarks, side, 1.0)
    box = fn.FaceDetector().detect(drooped.image, "largest")[0]
    a = assessor.assess(get_landmarker("refined").predict_detail(drooped.image, box).full)
    # measured: the untouched face 0.06, a droop of either side 0.97-0.98 on its side
    assert normal.p_palsy < 0.5 and normal.side == "none"
    assert a.p_palsy > 0.8 and a.side == side


def test_normal_faces_of_every_age_are_rarely_called_palsy(shared_data):
    """UTKFace faces the assessment never saw (its extra normal faces were the last 60 file names
    per age group; these are the first 10): the false-alarm rate on real normal faces."""
    import facenorm as fn
    from facenorm.landmarks import get_landmarker
    from facenorm.palsy.assessment import assessment_points

    folder = shared_data / "utkface" / "images"
    if not folder.is_dir():
        pytest.skip(f"UTKFace not found at {folder}")
    groups = [(0, 2), (3, 5), (6, 12), (13, 17), (18, 59), (60, 200)]
    picked = {g: [] for g in groups}
    for path in sorted(folder.glob("*.jpg")):
        age = int(path.name.split("_")[0])
        for lo, hi in groups:
            if lo <= age <= hi and len(picked[(lo, hi)]) < 10:
                picked[(lo, hi)].append(path)
    detector, predictor, assessor = fn.FaceDetector(), get_landmarker("refined"), PalsyAssessor()
    called = []
    for path in [p for ps in picked.values() for p in ps]:
        image = fn.read_image(str(path))
        try:
            box = detector.detect(image, "largest")[0]
        except fn.NoFaceError:
            continue
        called.append(assessor.assess(assessment_points(predictor, image, box)[1]).p_palsy >= 0.5)
    assert len(called) >= 50
    # measured: 9% of these 57 faces (15% of 350 held-out ones); without the normal faces in the fit 39%
    assert np.mean(called) <= 0.3
