"""Clinical asymmetry measures: mirror antisymmetry, hand computations, synthetic palsy, scale, CLI."""
import csv
import json
import subprocess
import sys

import numpy as np
import pytest

import facenorm as fn
from facenorm.palsy import (MEASURES, asymmetry_measures, facial_midline, mirror_landmarks, scale_from_ipd,
                            scale_from_iris)
from facenorm.palsy.scale import eye_centres_distance


@pytest.fixture(scope="module")
def faces(celeba_images, pipeline):
    out = []
    for path in celeba_images[:14]:
        image = fn.read_image(path)
        try:
            out.append((path, image, pipeline.faces(image)[0].landmarks))
        except fn.NoFaceError:
            continue
    return out[:12]


def _symmetric_landmarks():
    """A mirror-symmetric face: dlib's mean shape made exactly symmetric about x = 0."""
    from facenorm.palsy.midline import MIRROR
    shape = fn.generic_face_model_3d()[:, :2].astype(np.float64)
    mirrored = shape[MIRROR] * np.array([-1.0, 1.0])
    return ((shape + mirrored) / 2 * 100 + 256).astype(np.float32)


def test_symmetric_face_has_zero_asymmetry_and_hand_computed_values():
    lm = _symmetric_landmarks()
    m = asymmetry_measures(lm)
    assert m.asymmetry_index == pytest.approx(0, abs=1e-6) and m.smile_angle_difference == pytest.approx(0, abs=1e-6)
    frame = facial_midline(lm)
    np.testing.assert_allclose(np.abs(frame.down), [0, 1], atol=1e-9)  # an upright face: midline vertical
    # commissure height by hand: corner y minus the mean y of the inner canthi (upright, so v = y)
    assert m.right["commissure_height"] == pytest.approx(lm[48, 1] - (lm[39, 1] + lm[42, 1]) / 2, abs=1e-4)
    centre = (lm[62] + lm[66]) / 2
    assert m.left["commissure_excursion"] == pytest.approx(np.linalg.norm(lm[54] - centre), abs=1e-4)
    moved = lm.copy()
    moved[54, 1] += 10  # left corner 10 px down
    m2 = asymmetry_measures(moved)
    assert m2.difference["commissure_height"] == pytest.approx(10, abs=1e-3)
    assert m2.difference["smile_angle"] < 0 and m2.asymmetry_index > 0


def test_measures_are_mirror_antisymmetric(faces):
    for _, image, lm in faces:
        m = asymmetry_measures(lm)
        mm = asymmetry_measures(mirror_landmarks(lm, image.shape[1]))
        for name in MEASURES:
            assert mm.left[name] == pytest.approx(m.right[name], abs=1e-3)
            assert mm.difference[name] == pytest.approx(-m.difference[name], abs=1e-3)
        assert mm.asymmetry_index == pytest.approx(m.asymmetry_index, abs=1e-3)


@pytest.mark.parametrize("side", ["left", "right"])
def test_synthetic_palsy_is_measured_on_the_drooping_side(faces, side):
    sign = 1 if side == "left" else -1
    raised = 0
    for _, image, lm in faces:
        control = asymmetry_measures(lm)
        palsy = asymmetry_measures(fn.palsy_transform(image, lm, side, 1.0).landmarks_after)
        raised += palsy.asymmetry_index > control.asymmetry_index
        # the drooping corner is lower, the eye narrower, the brow lower on that side
        assert sign * (palsy.difference["commissure_height"] - control.difference["commissure_height"]) > 0
        assert sign * (palsy.difference["palpebral_fissure_height"] - control.difference["palpebral_fissure_height"]) < 0
        assert sign * (palsy.difference["brow_height"] - control.difference["brow_height"]) < 0
    assert raised >= len(faces) - 1


def test_scale_from_ipd_and_from_the_iris(faces):
    _, _, lm = faces[0]
    k = scale_from_ipd(lm, 63.0)
    assert k * eye_centres_distance(lm) == pytest.approx(63.0)
    with pytest.raises(fn.InputError, match="40-90 mm"):
        scale_from_ipd(lm, 6.3)
    implied = []
    for _, image, lm in faces:
        k, info = scale_from_iris(image, lm)
        if k:
            implied.append(k * eye_centres_distance(lm))
    # adults' inter-pupillary distance is 54-74 mm (mean ~63); measured median here ~68 (docs/palsy.md)
    assert len(implied) >= 0.6 * len(faces)
    assert 58 <= np.median(implied) <= 74


def test_cli_json_csv_and_drawing(faces, tmp_path):
    paths = [p for p, _, _ in faces[:2]]
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    run = subprocess.run([sys.executable, "-m", "facenorm", "palsy", *paths, str(tmp_path / "broken.jpg"),
                          "--csv", str(tmp_path / "m.csv"), "--draw", str(tmp_path / "draw"), "--ipd-mm", "63",
                          "--json"], capture_output=True, text=True,
                         env={"PYTHONPATH": fn.__file__.rsplit("/facenorm/", 1)[0], "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)["images"]
    assert [d["error"] is None for d in doc] == [True, True, False]
    assert doc[0]["measures"]["unit"] == "mm" and doc[0]["measures"]["scale_source"] == "ipd 63 mm"
    rows = list(csv.reader(open(tmp_path / "m.csv")))
    assert len(rows) == 4 and "commissure_height_left" in rows[0]
    assert len(list((tmp_path / "draw").glob("*_palsy.png"))) == 2
