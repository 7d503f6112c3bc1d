"""The cascaded FCN landmarker: heatmaps, NME, folds, importers, crops, training, the model file,
and the pipeline hook. The comparison with dlib on real faces is in test_landmark_fcn_accuracy.py."""
import json

import numpy as np
import pytest
import torch

import facenorm as fn
from facenorm.landmarks.fcn import crop, nme, read_pts, subject_folds, write_pts
from facenorm.landmarks.fcn.annotations import read_annotated_folder
from facenorm.landmarks.fcn.model import FcnLandmarker
from facenorm.landmarks.fcn.samples import LandmarkSet, flipped
from facenorm.landmarks.fcn.training import FcnSettings, subject_split, train_fcn
from facenorm.nets import _nets


def test_heatmaps_round_trip_to_sub_pixel_points():
    g = torch.Generator().manual_seed(0)
    points = torch.rand(4, 68, 2, generator=g) * 70 + 13
    maps = _nets.landmark_heatmaps(points, 96, 5.0)
    assert maps.shape == (4, 68, 96, 96) and abs(float(maps.max()) - 1) < 1e-3
    mean = _nets.heatmap_landmarks(maps, 25, False)
    weighted = _nets.heatmap_landmarks(maps, 25, True)
    assert float((mean - points).norm(dim=2).max()) < 0.5       # the paper's decoding
    assert float((weighted - points).norm(dim=2).max()) < 0.08  # ours, optional
    # a Gaussian a tenth of a pixel to the right decodes a tenth of a pixel to the right (weighted)
    shifted = _nets.heatmap_landmarks(_nets.landmark_heatmaps(points + torch.tensor([0.1, 0.0]), 96, 5.0), 25, True)
    assert abs(float((shifted - weighted)[..., 0].mean()) - 0.1) < 0.02


def test_nme_matches_a_hand_computation():
    truth = np.zeros((1, 68, 2), np.float32)
    truth[0, :, 0] = np.linspace(0, 100, 68)
    truth[0, :, 1] = np.linspace(0, 50, 68)
    truth[0, 36], truth[0, 45] = (20, 10), (80, 10)                   # outer eye corners 60 px apart
    pred = truth + np.array([3.0, 4.0], np.float32)                   # every point 5 px off
    e = nme(pred, truth)
    box = np.sqrt(100 * 50)
    assert e["nme_box"][0] == pytest.approx(100 * 5 / box, rel=1e-5)
    assert e["nme_eq3"][0] == pytest.approx(100 * np.sqrt(68 * 25) / box, rel=1e-5)
    assert e["nme_io"][0] == pytest.approx(100 * 5 / 60, rel=1e-5)
    jaw_off = truth.copy()
    jaw_off[0, :17] += (6.0, 8.0)                                     # only the jaw 10 px off
    e = nme(jaw_off, truth)
    assert e["nme_io_inner"][0] == 0 and e["nme_io"][0] == pytest.approx(100 * 10 * 17 / 68 / 60, rel=1e-5)
    with pytest.raises(fn.InputError, match="same"):
        nme(pred[:, :60], truth)


def test_subject_folds_keep_subjects_together():
    subjects = [f"s{i // 3}" for i in range(30)]  # 10 subjects x 3 samples
    folds = subject_folds(subjects, 5, seed=1)
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested) == list(range(30))
    for train, test in folds:
        assert not {subjects[i] for i in train} & {subjects[i] for i in test}
        assert len(test) == 6
    with pytest.raises(fn.InputError, match="folds"):
        subject_folds(subjects, 11)
    train, dev = subject_split(subjects, 0.2, 0)
    assert not {subjects[i] for i in train} & {subjects[i] for i in dev} and len(dev) == 6


def test_pts_and_npy_importers(tmp_path):
    lm = (np.random.default_rng(0).random((68, 2)) * 200).astype(np.float32)
    write_pts(tmp_path / "a.pts", lm)
    assert "n_points: 68" in (tmp_path / "a.pts").read_text()
    assert float((tmp_path / "a.pts").read_text().splitlines()[3].split()[0]) == pytest.approx(lm[0, 0] + 1, abs=1e-3)
    np.testing.assert_allclose(read_pts(tmp_path / "a.pts"), lm, atol=1e-3)
    fn.write_image(str(tmp_path / "a.png"), np.zeros((8, 8, 3), np.uint8))
    fn.write_image(str(tmp_path / "b.png"), np.zeros((8, 8, 3), np.uint8))
    np.save(tmp_path / "b.npy", lm)
    fn.write_image(str(tmp_path / "c.png"), np.zeros((8, 8, 3), np.uint8))  # no annotation: left out
    (tmp_path / "meta.csv").write_text("name,subject,group\na.png,p1,smile\nb.png,p1,rest\n")
    items = read_annotated_folder(tmp_path)
    assert [(i.subject, i.group) for i in items] == [("p1", "smile"), ("p1", "rest")]
    (tmp_path / "bad.pts").write_text("version: 1\nn_points: 5\n{\n1 2\n}\n")
    with pytest.raises(fn.InputError, match="68 points"):
        read_pts(tmp_path / "bad.pts")
    np.save(tmp_path / "bad.npy", np.zeros((5, 2)))
    with pytest.raises(fn.InputError, match="68 x 2"):
        fn.landmarks.fcn.read_npy(tmp_path / "bad.npy")
    with pytest.raises(fn.MissingFileError):
        read_annotated_folder(tmp_path / "nowhere")


def test_crop_maps_image_points_to_the_crop_and_back():
    image = np.zeros((1000, 800, 3), np.uint8)
    image[600:603, 300:303] = 255                                      # a dot centred at (301, 601)
    t = crop.crop_transform((200, 400, 500, 700))                      # strong downscale: area path
    c = crop.gray_crop(image, t)
    assert c.shape == (96, 96) and c.dtype == np.uint8
    ys, xs = np.nonzero(c == c.max())
    expected = crop.to_crop(np.array([[301.0, 601.0]]), t)[0]
    assert abs(xs.mean() - expected[0]) < 0.75 and abs(ys.mean() - expected[1]) < 0.75
    np.testing.assert_allclose(crop.from_crop(crop.to_crop(np.array([[10.0, 20.0]]), t), t), [[10, 20]], atol=1e-3)
    with pytest.raises(fn.InputError, match="box"):
        crop.crop_transform((5, 5, 5, 9))


def test_flip_mirrors_points_with_their_names():
    crops = np.zeros((1, 96, 96), np.uint8)
    points = np.tile(np.array([[10.0, 50.0]], np.float32), (1, 68, 1))
    points[0, 36] = (20, 40)                                           # right eye outer corner, image left
    c, p = flipped(crops, points)
    assert p[0, 45].tolist() == [75.0, 40.0]                           # now the left eye's outer corner


def _tiny_set(n=12, seed=0):
    rng = np.random.default_rng(seed)
    base = (rng.random((68, 2)) * 50 + 23).astype(np.float32)
    crops = (rng.random((n, 96, 96)) * 255).astype(np.uint8)
    points = np.repeat(base[None], n, 0) + rng.normal(0, 0.5, (n, 68, 2)).astype(np.float32)
    t = np.repeat(np.array([[[1.0, 0, 0], [0, 1.0, 0]]]), n, 0)
    return LandmarkSet(crops, points, points.copy(), t, np.zeros((n, 4)), [f"p{i}" for i in range(n)],
                       [f"s{i}" for i in range(n)], ["normal"] * n, ["manual"] * n)


def test_tiny_training_lowers_the_loss_is_resumable_and_seeded(tmp_path):
    s = _tiny_set()
    settings = FcnSettings(width_divisor=16, epochs=6, lr=3e-3, batch_size=2, dev_fraction=0.2, flip=False)
    a = train_fcn(s, tmp_path / "a", settings, progress=False)
    state = json.loads((tmp_path / "a" / "training.json").read_text())
    assert state["losses"]["train"][-1] < 0.7 * state["losses"]["train"][0]
    b = train_fcn(s, tmp_path / "b", settings, progress=False)
    assert a["train_loss"] == b["train_loss"]
    # resuming a finished run trains nothing more; other settings on the folder are refused
    again = train_fcn(s, tmp_path / "a", settings, progress=False)
    assert again["train_loss"] == a["train_loss"]
    with pytest.raises(fn.DatasetError, match="other settings"):
        train_fcn(s, tmp_path / "a", FcnSettings(width_divisor=16, epochs=5), progress=False)
    # more epochs continue the run; fewer write the model from the last finished epoch
    from dataclasses import replace
    train_fcn(s, tmp_path / "b", replace(settings, epochs=7), progress=False)
    assert len(json.loads((tmp_path / "b" / "training.json").read_text())["losses"]["train"]) == 7
    weights = (tmp_path / "b" / "fcn.pt").read_bytes()
    train_fcn(s, tmp_path / "b", replace(settings, epochs=3), progress=False)
    assert (tmp_path / "b" / "fcn.pt").read_bytes() == weights
    model = FcnLandmarker(tmp_path / "a", threads=1)
    pred = model.predict_crops(s.crops[:2])
    assert pred.shape == (2, 68, 2) and np.all((pred >= 0) & (pred <= 95))
    box = (100, 100, 200, 200)
    assert model.predict(np.zeros((300, 300, 3), np.uint8), box).shape == (68, 2)
    with pytest.raises(fn.InputError, match="crops"):
        model.predict_crops(np.zeros((1, 64, 64), np.uint8))


def test_model_files_are_verified(tmp_path):
    s = _tiny_set(6)
    train_fcn(s, tmp_path / "m", FcnSettings(width_divisor=16, epochs=1, batch_size=4), progress=False)
    with pytest.raises(fn.MissingFileError, match="train-landmarks"):
        FcnLandmarker(tmp_path / "none")
    weights = tmp_path / "m" / "fcn.pt"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(fn.ModelError, match="checksum"):
        FcnLandmarker(tmp_path / "m")
    spec = json.loads((tmp_path / "m" / "model.json").read_text())
    (tmp_path / "m" / "model.json").write_text(json.dumps({**spec, "version": 99}))
    with pytest.raises(fn.ModelError, match="version"):
        FcnLandmarker(tmp_path / "m")


def test_pipeline_takes_the_fcn_in_place_of_dlib(tmp_path, celeba_images):
    s = _tiny_set(6)
    train_fcn(s, tmp_path / "m", FcnSettings(width_divisor=16, epochs=1, batch_size=4), progress=False)
    pipeline = fn.FacePipeline(landmark_model=str(tmp_path / "m"))
    assert isinstance(pipeline.predictor, FcnLandmarker)
    face = pipeline.faces(fn.read_image(celeba_images[0]))[0]
    assert face.landmarks.shape == (68, 2) and face.landmarks.dtype == np.float32
    b = face.box
    inside = (face.landmarks[:, 0] > b.x0 - b.width) & (face.landmarks[:, 0] < b.x1 + b.width)
    assert inside.all()


def test_cross_validation_holds_each_subject_out_once(tmp_path):
    from facenorm.landmarks.fcn.training import cross_validate
    s = _tiny_set(8)
    s.subjects = [f"s{i // 2}" for i in range(8)]                     # 4 subjects x 2 samples
    summary = cross_validate(s, tmp_path, FcnSettings(width_divisor=16, epochs=1, batch_size=4), folds=2,
                             progress=False)
    rows = (tmp_path / "crossval.csv").read_text().splitlines()
    assert len(rows) == 1 + 8 and summary["folds"] == 2
    by_fold = {}
    for line in rows[1:]:
        fold, _, subject = line.split(",")[:3]
        by_fold.setdefault(subject, set()).add(fold)
    assert all(len(f) == 1 for f in by_fold.values())              # a subject is tested in one fold only
    assert (tmp_path / "fold_0" / "model.json").is_file() and (tmp_path / "crossval.md").read_text().count("|") > 10


def test_asymmetry_error_is_what_a_lagging_landmarker_misses(pipeline, celeba_images):
    from facenorm import read_image
    from facenorm.landmarks.fcn.asymmetry_error import asymmetry_error
    from facenorm.lipsynth.palsy import palsy_landmarks
    from facenorm.palsy.measures import LENGTHS, asymmetry_measures

    face = pipeline.faces(read_image(celeba_images[0]))[0].landmarks
    drooped = palsy_landmarks(face, "left", 1.0)
    half = face + 0.5 * (drooped - face)                               # catches half of the droop
    assert asymmetry_error(drooped[None], drooped[None])[0] == 0
    io = np.linalg.norm(drooped[45] - drooped[36])
    m_true, m_half = asymmetry_measures(drooped), asymmetry_measures(half)
    by_hand = 100 * np.mean([abs(m_half.difference[k] - m_true.difference[k]) for k in LENGTHS]) / io
    assert asymmetry_error(half[None], drooped[None])[0] == pytest.approx(by_hand)
    assert by_hand > 1.0  # a half-caught droop misstates the asymmetry by over 1% of the eye distance


@pytest.mark.filterwarnings("ignore:.*(zeros|too small).*:UserWarning")  # scipy's notes on 6 samples
def test_paired_comparison_counts_and_tests_against_the_first_landmarker():
    from scipy.stats import wilcoxon

    from facenorm.landmarks.fcn.evaluation import paired_comparison, paired_table

    a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    b = [0.5, 1.0, 3.5, 2.0, 4.0, 6.0]
    rows = [{"sample": i, "landmarker": name, "group": "g", "nme_io": v, "nme_io_inner": v, "asym_err": 0.0}
            for name, values in (("dlib", a), ("other", b)) for i, v in enumerate(values)]
    r = paired_comparison(rows)["g"]["other"]
    assert (r["nme_io"]["better"], r["nme_io"]["worse"], r["nme_io"]["n"]) == (4, 1, 6)
    assert r["nme_io"]["p"] == pytest.approx(wilcoxon(a, b).pvalue)
    assert r["asym_err"]["p"] is None                   # no difference at all: no test
    assert "4 / 1 of 6" in paired_table(paired_comparison(rows), "dlib")
