"""The palsy-like asymmetry transform on real faces."""
import numpy as np
import pytest

import facenorm as fn
from facenorm.lipsynth import palsy_landmarks
from facenorm.lipsynth.palsy import displacement_field


@pytest.fixture(scope="module")
def face(celeba_images, pipeline):
    image = fn.read_image(celeba_images[0])
    return image, pipeline.faces(image)[0].landmarks


@pytest.mark.parametrize("side, image_side", [("left", 1), ("right", -1)])
def test_only_the_affected_side_moves(face, side, image_side):
    image, lm = face
    t = fn.palsy_transform(image, lm, side, 1.0)
    midline = lm[[27, 30, 33, 51, 57, 8], 0].mean()
    moved = np.nonzero(np.linalg.norm(t.landmarks_after - lm, axis=1) > 1e-4)[0]
    assert len(moved) >= 15
    assert all(np.sign(lm[i, 0] - midline) == image_side for i in moved)  # subject's left = image right
    # the mouth corner droops, the eye narrows
    corner = 54 if side == "left" else 48
    assert t.landmarks_after[corner, 1] > lm[corner, 1] + 0.05 * np.linalg.norm(lm[45] - lm[36])
    upper, lower = (43, 47) if side == "left" else (38, 40)
    assert (t.landmarks_after[lower, 1] - t.landmarks_after[upper, 1]) < 0.7 * (lm[lower, 1] - lm[upper, 1])
    # the region is the moved half of the face
    ys, xs = np.nonzero(t.region)
    assert (np.sign(xs - midline) == image_side).mean() > 0.9
    assert 0.02 * t.region.size < len(xs) < 0.25 * t.region.size


def test_severity_zero_is_identity_and_ladder_is_linear(face):
    image, lm = face
    zero = fn.palsy_transform(image, lm, "left", 0.0)
    assert np.array_equal(zero.image, image) and zero.region.max() == 0
    full = palsy_landmarks(lm, "left", 1.0)
    np.testing.assert_allclose(palsy_landmarks(lm, "left", 0.3), lm + 0.3 * (full - lm), atol=1e-3)


def test_displacement_field_matches_the_landmark_moves(face):
    image, lm = face
    after = palsy_landmarks(lm, "left", 1.0)
    field = displacement_field(image.shape, lm, after)
    x, y = np.round(after[54]).astype(int)
    # content at the new corner position came from the old corner position
    np.testing.assert_allclose(field[y, x], lm[54] - after[54], atol=1.5)


def test_bad_input(face):
    _, lm = face
    with pytest.raises(fn.InputError, match="'left' or 'right'"):
        palsy_landmarks(lm, "top")
    with pytest.raises(fn.InputError, match=r"\[0, 1\]"):
        palsy_landmarks(lm, "left", -0.5)


def test_a_closed_mouth_droops_without_tearing_the_lips_apart(face):
    """dlib puts the inner lips' upper and lower points on top of each other for a closed mouth;
    the droop must move such twins together (the warp cannot send one place two ways)."""
    image, lm = face
    closed = lm.copy()
    for a, b in ((61, 67), (62, 66), (63, 65)):
        closed[a] = closed[b] = (lm[a] + lm[b]) / 2
    for side in ("left", "right"):
        t = fn.palsy_transform(image, closed, side, 1.0)
        for a, b in ((61, 67), (62, 66), (63, 65)):
            np.testing.assert_allclose(t.landmarks_after[a], t.landmarks_after[b], atol=1e-4)
        assert t.severity == 1.0
