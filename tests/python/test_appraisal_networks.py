"""The appraisal's trained networks (issue 20, items 2b and 3): the distillation student and the
lower-face inpainter, their trainers, model folders and the map-inpaint method that uses them."""
import json

import cv2
import numpy as np
import pytest

import facenorm as fn
from facenorm.appraisal.alignment import align
from facenorm.appraisal.anomaly_map import face_mask
from facenorm.appraisal.anomaly_model import load_anomaly_model
from facenorm.appraisal.dev_anomalies import paste_gap
from facenorm.appraisal.inpainter import WINDOW, FaceInpainterModel
from facenorm.appraisal.inpainter_training import SHAPE, mirrored_landmarks, random_holes
from facenorm.appraisal.map_inpaint import MapInpaintNormalizer

from cli_runner import facenorm


@pytest.fixture(scope="module")
def astronaut(astronaut_path):
    image = fn.read_image(astronaut_path)
    return image, fn.FacePipeline().faces(image)[0].landmarks


@pytest.fixture(scope="module")
def small_cache(shared_data, tmp_path_factory):
    """A feature cache of 16 infants' faces (16 channels), as fit-anomaly-model writes it."""
    from facenorm.appraisal.feature_cache import build_feature_cache
    from facenorm.appraisal.features import Embedder

    files = sorted((shared_data / "utkface" / "images").glob("1_*.jpg"))[:16]
    if len(files) < 16:
        pytest.skip("UTKFace images missing")
    cache = tmp_path_factory.mktemp("cache") / "cache.h5"
    build_feature_cache(cache, [(str(f), "0-2") for f in files], Embedder(channels=16, seed=3), progress=False)
    return cache


def test_the_inpainter_returns_every_pixel_outside_the_hole_exactly():
    import torch
    from facenorm import nets

    net = nets.FaceInpainter(8)
    net.eval()
    image = torch.rand(2, 3, 144, 128)
    mask = (torch.rand(2, 1, 144, 128) > 0.7).float()
    with torch.no_grad():
        out = net(image, mask)
    keep = mask == 0
    assert torch.equal(out.expand_as(image)[keep.expand_as(image)], image[keep.expand_as(image)])
    with pytest.raises(fn.InputError, match="multiples of 8"):
        net(torch.rand(1, 3, 100, 128), torch.zeros(1, 1, 100, 128))


def test_random_holes_fall_on_the_lower_face(astronaut):
    image, landmarks = astronaut
    crop = align(image, landmarks)
    lm = mirrored_landmarks(crop.landmarks[None])
    holes = random_holes(np.repeat(lm, 20, axis=0), seed=1)
    assert holes.shape == (40,) + SHAPE
    share = holes.reshape(40, -1).mean(1)
    assert share.min() > 0.005 and share.max() < 0.35
    rows = np.nonzero(holes.sum(axis=(0, 2)))[0]
    nose_tip_row = crop.landmarks[30, 1] - WINDOW[0].start
    assert np.median(rows) > nose_tip_row - 5   # mostly below the nose tip


def test_train_inpainter_writes_a_model_that_fills_only_the_hole(small_cache, tmp_path, astronaut):
    out = tmp_path / "inpainter"
    doc = json.loads(facenorm("train-inpainter", "--cache", str(small_cache), "--out", str(out), "--epochs", "1",
                              "--channels", "8", "--perceptual-weight", "0.05", "--json").stdout)
    assert len(doc["losses"]) == 1 and np.isfinite(doc["losses"][0])
    assert doc["held_out_hole_error"]["faces"] > 0
    model = FaceInpainterModel.load(out)
    image, landmarks = astronaut
    crop = align(image, landmarks).image
    hole = np.zeros((224, 224), np.uint8)
    hole[130:160, 100:125] = 255      # inside the window: the network
    hole[20:30, 20:30] = 255          # outside it: Telea
    filled = model.fill(crop, hole)
    assert np.array_equal(filled[hole == 0], crop[hole == 0])
    assert not np.array_equal(filled[hole > 0], crop[hole > 0])
    # map-inpaint with the network: pixels outside its holes are the photo's, bit for bit
    gapped, _ = paste_gap(image, landmarks, side=1, severity=1.0)
    normalizer = MapInpaintNormalizer(threshold="1.0", method="network", inpainter=str(out))
    result = normalizer.normalize(gapped, landmarks)
    hole = result.changed > 0
    assert hole.any() and np.array_equal(result.image[~hole], gapped[~hole])
    assert normalizer.options()["method"] == "network"
    # a rerun with more epochs trains further from the checkpoint
    doc2 = json.loads(facenorm("train-inpainter", "--cache", str(small_cache), "--out", str(out), "--epochs", "2",
                               "--channels", "8", "--perceptual-weight", "0.05", "--json").stdout)
    assert len(doc2["losses"]) == 2 and doc2["losses"][0] == doc["losses"][0]


def test_train_anomaly_student_writes_a_model_the_appraisal_loads(small_cache, tmp_path, astronaut):
    out = tmp_path / "student"
    doc = json.loads(facenorm("train-anomaly-student", "--cache", str(small_cache), "--out", str(out),
                              "--epochs", "3", "--width", "8", "--calibration-per-group", "0", "--json").stdout)
    assert len(doc["losses"]) == 3 and doc["losses"][-1] < doc["losses"][0]   # it learns the teacher
    assert doc["held_out"] == 2                                               # faces 0 and 10 of 16
    model = load_anomaly_model(str(out))
    assert model.kind == "distillation" and model.settings["channels"] == 16
    image, landmarks = astronaut
    amap = fn.anomaly_map(image, landmarks, model=str(out))
    assert amap.cells.shape == (27, 27) and np.all(np.isfinite(amap.cells))
    flat = np.full((300, 300, 3), 128, np.uint8)
    cells = model.cells(align(flat, align(image, landmarks).landmarks).image, face_mask(align(image, landmarks).landmarks))
    assert np.all(np.isfinite(cells))


def test_bad_training_arguments_are_refused(tmp_path):
    proc = facenorm("train-inpainter", "--cache", "x.h5", "--out", str(tmp_path / "o"), "--epochs", "0", check=False)
    assert proc.returncode == 2 and "integer >= 1" in proc.stderr
    proc = facenorm("train-anomaly-student", "--cache", str(tmp_path / "missing.h5"), "--out", str(tmp_path / "o"),
                    "--json", check=False)
    assert proc.returncode == 1 and "missing.h5" in json.loads(proc.stdout)["error"]


def test_the_shipped_student_sees_a_pasted_gap_in_the_mouth(astronaut):
    from facenorm.appraisal.anomaly_map import region_masks, upsample_cells
    from facenorm.appraisal.appraise import top_mean
    from facenorm.models import model_dir

    image, landmarks = astronaut
    model = load_anomaly_model(model_dir("anomaly_student"))
    assert model.kind == "distillation"
    gapped, _ = paste_gap(image, landmarks, side=1, severity=1.0)
    clean, gap = align(image, landmarks), align(gapped, landmarks)
    face = face_mask(clean.landmarks)
    mouth = region_masks(clean.landmarks)["mouth"]
    before = top_mean(upsample_cells(model.cells(clean.image, face)) * face, mouth)
    after = top_mean(upsample_cells(model.cells(gap.image, face)) * face, mouth)
    assert after > before + 0.5


def test_the_shipped_inpainter_fills_skin_like_skin(astronaut):
    image, landmarks = astronaut
    crop = align(image, landmarks)
    model = FaceInpainterModel.load()     # models/face_inpainter through the search path
    hole = np.zeros((224, 224), np.uint8)
    x, y = np.round(crop.landmarks[33]).astype(int)    # the philtrum, between the nose and the lip
    hole[y + 4:y + 14, x - 8:x + 8] = 255
    filled = model.fill(crop.image, hole)
    inside = hole > 0
    assert np.array_equal(filled[~inside], crop.image[~inside])
    network = np.abs(filled[inside].astype(float) - crop.image[inside]).mean()
    telea = np.abs(cv2.inpaint(crop.image, hole, 5, cv2.INPAINT_TELEA)[inside].astype(float) - crop.image[inside]).mean()
    assert network < 14.0 and network < telea      # measured 10.7 against Telea's 23.5


def test_the_evaluation_summary_reads_auc_ladders_and_the_change_of_normal_faces():
    from facenorm.appraisal.evaluation import markdown_table, summarize

    rows = []
    for face in range(6):
        group = "0-2" if face < 3 else "18-59"
        rows.append((face, group, "normal", 0.0, -1.0 + 0.1 * face, 50.0, 3.0, 0.1, 0.0 if face else 0.02, 0.0))
        for k, severity in enumerate((0.25, 0.5, 0.75, 1.0)):     # anomaly grows with severity on every face
            rows.append((face, group, "cleft:repaired", severity, 1.0 + k + 0.1 * face, 1.0, 2.0 - k, 0.5, 0.01, 1.0))
    summary = summarize(rows, skipped=0)
    assert summary["kinds"]["cleft:repaired"]["1.0"]["appraisal"] == 1.0
    assert summary["ladders"]["cleft:repaired"]["appraisal_rho"] == 1.0
    change = summary["normal_faces_inpainting"]
    assert change["faces"] == 6 and change["with_a_hole"] == 1 and change["inpainted_share_max"] == 0.02
    assert "| 6 | 1 |" in markdown_table(summary)
