"""Scoring pairs end to end: regions on real faces, LT-v2 copies, normality, pictures, CLI, HDF5 batch."""
import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

import facenorm as fn
from facenorm.lipsynth import default_lip_templates
from facenorm.score import SCORE_CAP, score_pair


@pytest.fixture(scope="module")
def face(celeba_images, pipeline):
    image = fn.read_image(celeba_images[1])
    return image, pipeline.faces(image)[0].landmarks


def _labels(mask_path):
    from PIL import Image
    return np.array(Image.open(mask_path))  # palette PNG: the indices are the class ids


def test_region_masks_cover_the_parsed_parts(celeba_images, pipeline):
    """CelebAMask-HQ parsing labels (README class ids): lips 11/12, inner mouth 10, nose 2, eyes 4/5."""
    lip_cov, mouth_nose_cov, face_cov, eye_leak = [], [], [], []
    for path in celeba_images[:24]:
        image = fn.read_image(path)
        try:
            lm = pipeline.faces(image)[0].landmarks
        except fn.NoFaceError:
            continue
        labels = _labels(path.replace("/images/", "/masks/").replace(".jpg", ".png"))
        masks = {r: fn.region_mask(lm, image.shape[:2], r) > 0.5 for r in fn.REGIONS}
        lips, lower_face = np.isin(labels, [11, 12]), np.isin(labels, [2, 10, 11, 12])
        eyes = np.isin(labels, [4, 5])
        lip_cov.append((masks["lip"] & lips).sum() / lips.sum())
        mouth_nose_cov.append((masks["mouth_nose"] & lower_face).sum() / lower_face.sum())
        face_cov.append((masks["face_no_eyes"] & lower_face).sum() / lower_face.sum())
        eye_leak.append((masks["face_no_eyes"] & eyes).sum() / max(eyes.sum(), 1))
    assert len(lip_cov) >= 20
    lip_cov = np.array(lip_cov)
    assert np.median(lip_cov) >= 0.95 and np.mean(lip_cov >= 0.9) >= 0.8, np.round(lip_cov, 3)
    assert np.median(mouth_nose_cov) >= 0.95 and np.median(face_cov) >= 0.97
    assert np.median(eye_leak) <= 0.02


def test_identical_pair_is_capped_and_fully_normal(face):
    image, lm = face
    r = score_pair(image, image.copy(), lm)
    assert r.capped and r.score == pytest.approx(SCORE_CAP) and np.isfinite(r.score)
    assert r.normality is not None and r.normality > 99
    assert float(np.abs(r.heatmap).max()) == 0.0


def test_lt_v2_copy_is_localised_and_rated_by_severity(face):
    image, lm = face
    templates = default_lip_templates()
    name = sorted(templates)[0]
    results = []
    for severity in (0.25, 0.5, 1.0):
        copy = fn.lip_transform_v2(image, lm, templates[name], severity)
        results.append(score_pair(copy.image, image, copy.landmarks_after, region="mouth_nose"))
    scores = [r.score for r in results]
    assert scores[0] > scores[1] > scores[2], scores  # more severe, less normal
    normal = [r.normality for r in results]
    assert 0 <= normal[2] < normal[0] <= 100, normal
    heat = results[-1].heatmap.sum(axis=2)
    mouth = fn.region_mask(lm, image.shape[:2], "mouth") > 0.5
    assert heat[mouth].sum() / heat.sum() > 0.95  # the difference sits where the lip moved


def test_resolution_free_score_and_normality_across_sizes(face):
    import cv2
    image, lm = face
    copy = fn.lip_transform_v2(image, lm, default_lip_templates()[sorted(default_lip_templates())[1]], 1.0)
    up = lambda a: np.ascontiguousarray(cv2.resize(a, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
    big_lm = (copy.landmarks_after * 2 + 0.5).astype(np.float32)
    small = score_pair(copy.image, image, copy.landmarks_after, erosion=0)
    big = score_pair(up(copy.image), up(image), big_lm, erosion=0)
    assert big.score - small.score == pytest.approx(0.5 * np.log(4), abs=0.05)  # S grows by ln(4)/2
    assert big.mean_error_score == pytest.approx(small.mean_error_score, abs=0.05)
    # erosion works in pixels, so normality is evaluated at the calibration faces' eye distance
    small = score_pair(copy.image, image, copy.landmarks_after)
    big = score_pair(up(copy.image), up(image), big_lm)
    assert abs(big.normality - small.normality) < 5, (big.normality, small.normality)


def test_heatmap_overlay_dims_outside_and_adds_a_colour_bar(face):
    image, lm = face
    copy = fn.lip_transform_v2(image, lm, default_lip_templates()[sorted(default_lip_templates())[0]], 1.0)
    r = score_pair(copy.image, image, copy.landmarks_after)
    out = fn.report.heatmap_overlay(copy.image, r.heatmap, r.mask, dim=0.3, label="pse")
    h, w = image.shape[:2]
    assert out.shape[0] == h and out.shape[1] > w and out.dtype == np.uint8
    outside = r.mask == 0
    np.testing.assert_allclose(out[:, :w][outside], (copy.image[outside] * 0.3).astype(np.uint8), atol=1)
    with pytest.raises(fn.InputError, match="must match"):
        fn.report.heatmap_overlay(image, r.heatmap[:10], r.mask)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "facenorm", *args], capture_output=True, text=True,
                          env={"PYTHONPATH": str(fn.__file__).rsplit("/facenorm/", 1)[0], "PATH": "/usr/bin:/bin"})


def test_cli_score_json_and_heatmap(face, tmp_path):
    image, lm = face
    copy = fn.lip_transform_v2(image, lm, default_lip_templates()[sorted(default_lip_templates())[0]], 1.0)
    fn.write_image(str(tmp_path / "copy.png"), copy.image)
    fn.write_image(str(tmp_path / "orig.png"), image)
    run = _cli("score", str(tmp_path / "copy.png"), "--reference", str(tmp_path / "orig.png"), "--json",
               "--heatmap", str(tmp_path / "fig.png"))
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert {"score", "normality", "region", "normalizer", "pixels"} <= set(doc)
    assert doc["region"] == "mouth_nose" and doc["normalizer"] == "reference" and doc["score"] < SCORE_CAP
    assert 0 <= doc["normality"] <= 100 and doc["pixels"] > 1000
    fig = fn.read_image(str(tmp_path / "fig.png"))
    assert fig.shape[1] > 3 * image.shape[1]


def test_cli_score_rejects_bad_pairs(face, tmp_path):
    image, _ = face
    fn.write_image(str(tmp_path / "a.png"), image)
    fn.write_image(str(tmp_path / "half.png"), np.ascontiguousarray(image[: image.shape[0] // 2]))
    run = _cli("score", str(tmp_path / "a.png"), "--reference", str(tmp_path / "half.png"), "--json")
    assert run.returncode == 1 and "same size" in json.loads(run.stdout)["error"]
    run = _cli("score", str(tmp_path / "a.png"), "--reference", str(tmp_path / "a.png"), "--normalizer", "none",
               "--json")  # bad usage: exit 2, still one JSON document
    assert run.returncode == 2 and "at most one of --reference" in json.loads(run.stdout)["error"]
    run = _cli("score", str(tmp_path / "a.png"), "--normalizer", "none", "--age", "3", "--json")
    assert run.returncode == 2 and "default appraisal" in json.loads(run.stdout)["error"]
    run = _cli("score", str(tmp_path / "a.png"), "--reference", str(tmp_path / "a.png"), "--method", "nope", "--json")
    assert run.returncode == 1 and "expected one of pse" in json.loads(run.stdout)["error"]


@pytest.fixture(scope="module")
def synth_pair(tmp_path_factory, celeba_images):
    from facenorm.data.prepare import prepare_dataset
    from facenorm.data.prepare_face import PrepareOptions
    from facenorm.lipsynth.synth_job import run_synth

    root = tmp_path_factory.mktemp("score_batch")
    prepare_dataset(celeba_images[:5], root / "prepared.h5", PrepareOptions(size=256, eye_distance=60.0,
                    pose_filter=False), threads=1, progress=False)
    for severity in (0.3, 1.0):
        run_synth(root / "prepared.h5", root / f"synth{severity}.h5", "lt-v2", severity=severity, seed=2,
                  progress=False)
    return root


def test_batch_scores_every_record_and_resumes(synth_pair, tmp_path):
    from facenorm.score.batch import score_dataset

    means = {}
    for severity in (0.3, 1.0):
        path = tmp_path / f"s{severity}.h5"
        path.write_bytes((synth_pair / f"synth{severity}.h5").read_bytes())
        summary = score_dataset(path, store_heatmaps=True, progress=False)
        assert summary["scored"] == summary["records"] >= 4 and summary["failed"] == 0
        means[severity] = summary["mean_score"]
        with h5py.File(path, "r") as h5:
            group = h5[summary["key"]]
            assert not np.isnan(group["score"][:]).any() and group.attrs["region"] == "mouth_nose"
            assert h5["heatmaps/pse_ycbcr_e3_mouth_nose"].shape == (summary["records"], 256, 256)
            stored = group["score"][:]
        again = score_dataset(path, store_heatmaps=True, progress=False)
        assert again["scored"] == 0 and again["resumed_from"] == summary["records"]
        with h5py.File(path, "r+") as h5:  # as if killed before records 1 and 3 were committed
            h5[summary["key"]]["score"][[1, 3]] = np.nan
        redo = score_dataset(path, store_heatmaps=True, progress=False)
        assert redo["scored"] == 2
        with h5py.File(path, "r") as h5:
            np.testing.assert_allclose(h5[summary["key"]]["score"][:], stored)
        with fn.data.Dataset.open(path) as d:  # the file still reads as a dataset
            assert len(d) == summary["records"]
    assert means[1.0] < means[0.3]


def test_batch_rejects_changed_settings_and_missing_parent(synth_pair, tmp_path):
    from facenorm.score.batch import score_dataset

    path = tmp_path / "s.h5"
    path.write_bytes((synth_pair / "synth1.0.h5").read_bytes())
    score_dataset(path, progress=False)
    with pytest.raises(fn.DatasetError, match="other settings"):
        score_dataset(path, reference_dataset=path, progress=False)
    with pytest.raises(fn.MissingFileError):
        score_dataset(path, reference_dataset=tmp_path / "absent.h5", region="lip", progress=False)
