"""LT-v1 displacements, facenorm's own LT-v2 templates, and the lip-transform command."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import facenorm as fn
from facenorm.lipsynth import LT_V1_TRANSFORMS, default_lip_templates, lt_v1_landmarks

MOVED = {"raised_peak_right": {49, 50}, "raised_peak_left": {52, 53}, "bow_off_midline": {50, 51, 52},
         "vermilion_notch": {51}, "asymmetric_commissures": {53, 54}, "flattened_bow": {50, 52},
         "thin_lip_right": {49, 50}}


@pytest.fixture(scope="module")
def control(celeba_images, pipeline):
    image = fn.read_image(celeba_images[6])
    return image, pipeline.faces(image)[0].landmarks


def test_seven_transforms_move_only_their_points(control):
    image, lm = control
    assert set(LT_V1_TRANSFORMS) == set(MOVED) and len(LT_V1_TRANSFORMS) == 7
    width = np.linalg.norm(lm[54] - lm[48])
    for name in LT_V1_TRANSFORMS:
        after = lt_v1_landmarks(lm, name, 1.0)
        moved = {i for i in range(68) if not np.allclose(after[i], lm[i], atol=1e-4)}
        assert moved == MOVED[name], name
        step = np.linalg.norm(after - lm, axis=1).max()
        assert 0.005 * width < step < 0.15 * width, name  # visible, yet a lip-sized change
        half = lt_v1_landmarks(lm, name, 0.5)
        np.testing.assert_allclose(half, lm + 0.5 * (after - lm), atol=1e-3)
        zero = fn.lip_transform_v1(image, lm, name, 0.0)
        assert np.array_equal(zero.image, image)


def test_raised_peaks_go_up_and_sides_are_right(control):
    _, lm = control
    right = lt_v1_landmarks(lm, "raised_peak_right", 1.0)
    left = lt_v1_landmarks(lm, "raised_peak_left", 1.0)
    assert right[50, 1] < lm[50, 1] and left[52, 1] < lm[52, 1]  # up is -y
    assert lm[50, 0] < lm[52, 0]  # the subject's right peak is on the image left


def test_lt_v1_bad_input(control):
    _, lm = control
    with pytest.raises(fn.InputError, match="expected one of"):
        lt_v1_landmarks(lm, "cleft", 1.0)
    with pytest.raises(fn.InputError, match=r"\[0, 1\]"):
        lt_v1_landmarks(lm, "vermilion_notch", 2.0)


def test_default_templates_are_documented_and_usable(control):
    image, lm = control
    templates = default_lip_templates()
    import facenorm.lipsynth.default_templates as doc
    for name, points in templates.items():
        assert f"| {name} |" in doc.__doc__, f"{name} is not documented"
        assert points.dtype == np.float32 and points.shape == (68, 2)
        t = fn.lip_transform_v2(image, lm, points, 1.0)
        assert not np.array_equal(t.landmarks_after, lm), name
        assert np.array_equal(t.image[t.moved_mask == 0], image[t.moved_mask == 0])


def test_lip_transform_cli_contract(tmp_path, celeba_images, repo_root):
    env = dict(os.environ, PYTHONPATH=str(repo_root / "python"))
    out = tmp_path / "lt.png"
    proc = subprocess.run([sys.executable, "-m", "facenorm", "lip-transform", celeba_images[6], "--method", "lt-v2",
                           "--severity", "0.5", "--seed", "3", "--out", str(out), "--json"],
                          capture_output=True, text=True, env=env, check=True)
    doc = json.loads(proc.stdout)
    assert list(doc) == ["landmarks_before", "landmarks_after", "template", "severity", "anchor"]
    assert doc["severity"] == 0.5 and doc["template"] in default_lip_templates() and doc["anchor"] == "corner"
    assert len(doc["landmarks_after"]) == 68 and fn.read_image(str(out)).shape == (512, 512, 3)
    bow = subprocess.run([sys.executable, "-m", "facenorm", "lip-transform", celeba_images[6], "--severity", "0.5",
                          "--seed", "3", "--anchor", "bow", "--out", str(tmp_path / "bow.png"), "--json"],
                         capture_output=True, text=True, env=env, check=True)
    assert json.loads(bow.stdout)["anchor"] == "bow"
    bad = subprocess.run([sys.executable, "-m", "facenorm", "lip-transform", celeba_images[6], "--template",
                          str(tmp_path / "missing.npy"), "--out", str(tmp_path / "x.png"), "--json"],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "neither a file" in json.loads(bad.stdout)["error"]
    assert not (tmp_path / "x.png").exists()
