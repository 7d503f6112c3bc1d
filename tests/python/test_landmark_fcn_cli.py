"""The landmarker commands end to end on two real faces: train-landmarks (tiny, one epoch),
evaluate-landmarks against dlib, and the FCN in `landmarks` and `palsy` through --model."""
import csv
import json

import pytest

from cli_runner import facenorm


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, celeba_images):
    out = tmp_path_factory.mktemp("fcn")
    proc = facenorm("train-landmarks", *celeba_images[:2], "--out", str(out / "model"), "--palsy-copies", "one",
                    "--epochs", "1", "--width-divisor", "16", "--batch-size", "2", "--samples",
                    str(out / "samples.npz"), "--json")
    summary = json.loads(proc.stdout)
    assert summary["samples"] == 4 and (out / "samples.npz").is_file()
    return out


def test_train_landmarks_reuses_its_samples_and_resumes(tiny_model, celeba_images):
    proc = facenorm("train-landmarks", *celeba_images[:2], "--out", str(tiny_model / "model"), "--palsy-copies",
                    "one", "--epochs", "1", "--width-divisor", "16", "--batch-size", "2", "--samples",
                    str(tiny_model / "samples.npz"), "--json")
    assert json.loads(proc.stdout)["samples"] == 4
    assert "samples" not in proc.stderr.split("fcn")[0]  # no rebuild: the sample bar never ran
    bad = facenorm("train-landmarks", "--out", str(tiny_model / "x"), check=False)
    assert bad.returncode == 1 and "expected normal face images" in bad.stderr


def test_evaluate_landmarks_compares_dlib_and_the_fcn(tiny_model, celeba_images, tmp_path):
    proc = facenorm("evaluate-landmarks", celeba_images[2], "--model", "dlib", "--model", str(tiny_model / "model"),
                    "--palsy-copies", "both", "--out", str(tmp_path), "--json")
    doc = json.loads(proc.stdout)
    assert doc["samples"] == 3
    assert set(doc["summary"]["palsy-left"]) == {"dlib", "model"}
    rows = list(csv.DictReader(open(tmp_path / "rows.csv")))
    assert len(rows) == 6
    normal_dlib = [r for r in rows if r["group"] == "normal" and r["landmarker"] == "dlib"][0]
    assert float(normal_dlib["nme_box"]) == 0.0  # dlib's own points are the normal faces' labels
    assert 0.5 < float(normal_dlib["mask_all"]) <= 1.0
    assert (tmp_path / "table.md").read_text().startswith("| group |")
    assert (tmp_path / "overlays.png").stat().st_size > 1000


def test_landmarks_and_palsy_take_the_fcn(tiny_model, celeba_images):
    doc = json.loads(facenorm("landmarks", celeba_images[0], "--model", str(tiny_model / "model"), "--json").stdout)
    assert len(doc["images"][0]["faces"][0]["landmarks"]) == 68
    doc = json.loads(facenorm("palsy", celeba_images[0], "--model", str(tiny_model / "model"), "--no-iris",
                              "--json").stdout)
    assert doc["landmark_model"] == str(tiny_model / "model") and doc["images"][0]["error"] is None
    missing = facenorm("landmarks", celeba_images[0], "--model", str(tiny_model), "--json", check=False)
    assert missing.returncode == 1 and "train-landmarks" in missing.stderr
