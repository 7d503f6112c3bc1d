"""dlib's shape-predictor trainer through facenorm: a small model learns, loads as a
LandmarkPredictor and predicts near its training points; bad inputs are refused clearly."""
import numpy as np
import pytest

import facenorm as fn
from facenorm._core import train_shape_predictor
from facenorm.landmarks.dlib import LandmarkPredictor
from facenorm.landmarks.ert.samples import ShapeSamples, crop


@pytest.fixture(scope="module")
def faces(celeba_images, pipeline):
    out = ShapeSamples()
    for path in celeba_images[:12]:
        image = fn.read_image(path)
        try:
            face = pipeline.faces(image)[0]
        except fn.NoFaceError:
            continue
        out.add(image, face.box.to_list(), face.landmarks, path, "normal")
    return out


def test_crop_keeps_points_and_box_together(faces):
    image = np.zeros((400, 300, 3), np.uint8)
    points = np.stack([np.linspace(100, 200, 68), np.linspace(120, 260, 68)], axis=1).astype(np.float32)
    gray, box, p = crop(image, (100, 120, 200, 260), points)
    assert max(gray.shape) == 320 and gray.dtype == np.uint8
    # the box's corners and the points map by the same scale and shift
    sx = (box[2] - box[0]) / 100
    assert np.allclose(p[:, 0], box[0] + (points[:, 0] - 100) * sx, atol=0.05)
    mirrored = ShapeSamples()
    mirrored.add(image, (100, 120, 200, 260), points, "s", "normal")
    assert len(mirrored) == 2 and np.allclose(mirrored.points[1][:, 0].mean(), gray.shape[1] - 1 - p[:, 0].mean(), atol=1e-3)


def test_a_small_model_learns_and_loads(faces, tmp_path):
    path = tmp_path / "tiny.dat"
    r = train_shape_predictor(faces.faces, faces.boxes, faces.points, str(path), cascade_depth=4,
                              trees_per_cascade_level=40, oversampling=4, threads=2)
    assert r["samples"] == len(faces) and path.is_file() and not (tmp_path / "tiny.dat.partial").exists()
    spread = np.mean([np.linalg.norm(p - p.mean(0), axis=1).mean() for p in faces.points])
    assert r["train_error_px"] < 0.25 * spread  # far below what a mean shape would miss
    model = LandmarkPredictor(str(path))
    rgb = np.repeat(faces.faces[0][:, :, None], 3, axis=2)
    pred = model.predict(rgb, fn.FaceBox(*faces.boxes[0]))
    assert np.linalg.norm(pred - faces.points[0], axis=1).mean() < 0.25 * spread


def test_bad_training_inputs_are_refused(faces, tmp_path):
    with pytest.raises(fn.InputError, match="as many faces"):
        train_shape_predictor(faces.faces[:2], faces.boxes[:1], faces.points[:2], str(tmp_path / "x.dat"))
    with pytest.raises(TypeError, match="uint8"):
        train_shape_predictor([faces.faces[0].astype(np.float32)], faces.boxes[:1], faces.points[:1],
                              str(tmp_path / "x.dat"))
    with pytest.raises(fn.InputError, match="options"):
        train_shape_predictor(faces.faces[:1], faces.boxes[:1], faces.points[:1], str(tmp_path / "x.dat"), nu=0)
    with pytest.raises(fn.FacenormError, match="cannot write"):
        train_shape_predictor(faces.faces[:2], faces.boxes[:2], faces.points[:2], str(tmp_path / "no" / "x.dat"),
                              cascade_depth=1, trees_per_cascade_level=2, oversampling=1)
    assert not list(tmp_path.glob("*.dat"))


def test_cli_trains_a_model_and_prints_one_json_document(celeba_images, tmp_path):
    import json

    from cli_runner import facenorm

    out = tmp_path / "m.dat"
    proc = facenorm("train-shape-predictor", *celeba_images[:3], "--no-palsy-copies", "--trees", "5",
                    "--cascade-depth", "2", "--oversampling", "2", "--out", str(out), "--json")
    doc = json.loads(proc.stdout)  # dlib's progress went to stderr
    assert doc["samples"] == 6 and out.is_file()  # three faces, each mirrored
    assert LandmarkPredictor(str(out)).model_path == str(out)  # loads: a 68-point model (checked at load)
    bad = facenorm("train-shape-predictor", "--out", str(tmp_path / "x.dat"), "--json", check=False)
    assert bad.returncode == 1 and json.loads(bad.stdout)["error_type"] == "InputError"
