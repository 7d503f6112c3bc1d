"""Normalizers end to end from the command line: score --normalizer, fit-normal-model and the
normalization benchmark (evaluate-normalizer) on real faces."""
import csv
import json

import numpy as np
import pytest

import facenorm as fn
from facenorm.lipsynth import default_lip_templates
from facenorm.normalize.normal_model import default_model_path, load_normal_model

from cli_runner import facenorm  # the test helper that runs `python -m facenorm`


@pytest.fixture(scope="module", autouse=True)
def needs_model():
    if not default_model_path().is_file():
        pytest.skip("models/normal_face_model.npz is missing")


@pytest.fixture(scope="module")
def lt_copy(celeba_images, pipeline, tmp_path_factory):
    """A control face and its unilateral LT-v2 copy at severity 1, written as PNGs."""
    folder = tmp_path_factory.mktemp("lt")
    image = fn.read_image(celeba_images[1])
    face = pipeline.faces(image)[0]
    copy = fn.lip_transform_v2(image, face.landmarks, default_lip_templates()["raised_peak_right"], 1.0)
    fn.write_image(str(folder / "control.png"), image)
    fn.write_image(str(folder / "copy.png"), copy.image)
    np.save(folder / "copy_landmarks.npy", copy.landmarks_after)
    return folder


@pytest.mark.parametrize("spec", ["statistical", "symmetry", "inpaint"])
def test_score_with_a_normalizer(spec, lt_copy, tmp_path):
    args = ["score", str(lt_copy / "copy.png"), "--normalizer", spec, "--landmarks",
            str(lt_copy / "copy_landmarks.npy"), "--heatmap", str(tmp_path / "h.png"), "--json"]
    doc = json.loads(facenorm(*args).stdout)
    assert doc["normalizer"] == spec and doc["region"] == "mouth_nose"
    assert np.isfinite(doc["score"]) and not doc["capped"]  # the normalizer changed the copy
    assert fn.read_image(str(tmp_path / "h.png")).shape[1] > 512
    control = json.loads(facenorm("score", str(lt_copy / "control.png"), "--normalizer", spec, "--json").stdout)
    assert control["score"] > doc["score"]  # the control is more normal than its cleft-like copy


def test_score_with_a_bad_normalizer_exits_1(lt_copy):
    proc = facenorm("score", str(lt_copy / "copy.png"), "--normalizer", "statistical:texture=odd", "--json",
                    check=False)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["error_type"] == "InputError" and "texture" in doc["error"]


def test_fit_normal_model_command(shared_data, tmp_path):
    out = tmp_path / "model.npz"
    doc = json.loads(facenorm("fit-normal-model", str(shared_data / "celebamask" / "train" / "images"),
                              "--limit", "30", "--shape-components", "6", "--texture-components", "8",
                              "--out", str(out), "--json").stdout)
    assert doc["faces"] == 30 and doc["shape_components"] <= 6 and doc["texture_components"] <= 8
    model = load_normal_model(out)
    assert model.meta["command"].startswith("facenorm fit-normal-model") and model.meta["faces"] == 30
    proc = facenorm("fit-normal-model", str(tmp_path), "--out", str(tmp_path / "x.npz"), "--json", check=False)
    assert proc.returncode == 1 and not (tmp_path / "x.npz").exists()


def test_evaluate_normalizer_writes_the_benchmark(celeba_images, tmp_path):
    out = tmp_path / "bench"
    doc = json.loads(facenorm("evaluate-normalizer", *celeba_images[:3], "--normalizer", "statistical",
                              "--landmarks", "exact", "--out", str(out), "--json").stdout)
    assert doc["faces"] >= 2 and doc["severities"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    rows = {t["normalizer"]: t for t in doc["table"]}
    assert set(rows) == {"none", "statistical"}
    none, stat = rows["none"], rows["statistical"]
    assert none["identity_mean"] == 0 and none["d_copy"] == 0 and none["spearman_rho"] is None
    assert 0 < stat["identity_mean"] < 0.6 and stat["same_person"] == 1.0
    assert stat["spearman_rho"] is not None and -1 <= stat["spearman_rho"] <= 1
    with open(out / "rows.csv") as f:
        table = list(csv.DictReader(f))
    assert len(table) == doc["faces"] * 5 * 2
    assert "| `statistical` |" in (out / "table.md").read_text()
    assert fn.read_image(str(out / "examples.png")).shape[0] > 144
    assert fn.read_image(str(out / "curves.png")).shape[1] > 500
