"""LT-v2 on real faces with the 13 repaired-cleft lip shapes of ../shared/data/clp_lip_shapes."""
import numpy as np
import pytest

import facenorm as fn
from facenorm.lipsynth import lip_templates_in, load_lip_template


@pytest.fixture(scope="module")
def clp_templates(shared_data):
    folder = shared_data / "clp_lip_shapes"
    if not folder.is_dir():
        pytest.skip("no clp_lip_shapes in ../shared/data")
    return lip_templates_in(folder)


@pytest.fixture(scope="module")
def control(celeba_images, pipeline):
    image = fn.read_image(celeba_images[6])
    return image, pipeline.faces(image)[0].landmarks


def bow_reference_targets(control, template):
    """anchor="bow", written out independently: rotate and scale the template's upper lip so
    its mouth corner line matches the control's, then translate its 51 onto the control's 51."""
    c, t = control.astype(np.float64), template.astype(np.float64)
    dc, dt = c[54] - c[48], t[54] - t[48]
    scale = np.linalg.norm(dc) / np.linalg.norm(dt)
    angle = np.arctan2(dc[1], dc[0]) - np.arctan2(dt[1], dt[0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    out = c.copy()
    out[49:54] = (t[49:54] - t[51]) @ rot.T + c[51]
    return out


def official_reference_targets(control, template):
    """The official code (`norm_eyes` + `combine_lks` of the paper's repository), transcribed
    step by step: both shapes divided by their mouth width and moved so corner 48 is the origin;
    the template's 49-53 x kept, y shifted so its 51 lands on the control's 51; back to pixels.
    Not transcribed: its random template choice and its truncation to whole pixels."""
    def norm_eyes(lks):
        lips_len = np.linalg.norm(lks[54, :] - lks[48, :])
        scaled = lks / lips_len
        translation = np.array([0, 0]) - scaled[48]
        return scaled + translation, lips_len, translation

    sc_lk1, sc1, trans_vec1 = norm_eyes(control.astype(np.float64))
    sc_lk2, _, _ = norm_eyes(template.astype(np.float64))
    middle = np.vstack((sc_lk2[49:54, 0], sc_lk2[49:54, 1] + sc_lk1[51, 1] - sc_lk2[51, 1])).T
    new = np.concatenate((sc_lk1[:49], middle, sc_lk1[54:]), axis=0)
    return np.vstack((sc1 * (new[:, 0] - trans_vec1[0]), sc1 * (new[:, 1] - trans_vec1[1]))).T


def rotated(points, degrees):
    centre = points.mean(axis=0)
    a = np.radians(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return ((points - centre) @ rot.T + centre).astype(np.float32)


@pytest.fixture(scope="module")
def astronaut_landmarks(astronaut_path, pipeline):
    return pipeline.faces(fn.read_image(astronaut_path))[0].landmarks


@pytest.mark.parametrize("degrees", [-20, -10, 0, 12, 20])
def test_official_construction_on_tilted_faces(astronaut_landmarks, degrees):
    """Tilted controls and tilted templates: the official formula takes no rotation, so the
    constructions part; facenorm's default follows the official one to 1e-3 px."""
    templates = fn.lipsynth.default_lip_templates()
    control = rotated(astronaut_landmarks, degrees)
    width = np.linalg.norm(control[54] - control[48])
    for name, template in templates.items():
        for template_tilt in (0, -8, 15):
            t = rotated(template, template_tilt)
            after = fn.lip_transform_v2_landmarks(control, t, 1.0)
            np.testing.assert_allclose(after, official_reference_targets(control, t), atol=1e-3, err_msg=name)
            assert np.array_equal(after[:49], control[:49]) and np.array_equal(after[54:], control[54:])
            if degrees == 20 and template_tilt == 0:  # the earlier construction differs measurably
                bow = fn.lip_transform_v2_landmarks(control, t, 1.0, anchor="bow")
                assert np.abs(bow - after).max() > 0.02 * width, name
    with pytest.raises(fn.InputError, match="anchor"):
        fn.lip_transform_v2_landmarks(control, templates["flattened_bow"], 1.0, anchor="rotated")
    with pytest.raises(fn.InputTypeError):
        fn.lip_transform_v2_landmarks(control.astype(np.float64), templates["flattened_bow"])
    with pytest.raises(fn.InputError, match="48 and 54"):
        fn.lip_transform_v2_landmarks(control, np.zeros((68, 2), np.float32))
    with pytest.raises(fn.InputError, match="severity"):
        fn.lip_transform_v2_landmarks(control, templates["flattened_bow"], -0.5)


def test_official_construction_keeps_the_bow_off_the_midline(astronaut_landmarks):
    """The template's bow shifted 0.06 W towards the image right lands shifted on the control
    (x measured from corner 48); the bow construction re-centres it on the control's 51."""
    base = fn.generic_face_model_3d()[:, :2].astype(np.float32)
    shifted = fn.lipsynth.default_lip_templates()["bow_off_midline"]
    control = astronaut_landmarks
    width = np.linalg.norm(control[54] - control[48])
    base_x = fn.lip_transform_v2_landmarks(control, base, 1.0)[50:53, 0]
    shifted_x = fn.lip_transform_v2_landmarks(control, shifted, 1.0)[50:53, 0]
    np.testing.assert_allclose(shifted_x[[0, 2]] - base_x[[0, 2]], 0.06 * width, rtol=0.02)


def test_all_thirteen_templates_load(clp_templates):
    assert len(clp_templates) == 13
    for points in clp_templates.values():
        assert points.dtype == np.float32 and points.shape == (68, 2)


def test_full_transfer_matches_the_bow_construction(control, clp_templates):
    _, lm = control
    for name, template in clp_templates.items():
        after = fn.lip_transform_v2_landmarks(lm, template, 1.0, anchor="bow")
        np.testing.assert_allclose(after, bow_reference_targets(lm, template), atol=1e-3, err_msg=name)
        unchanged = [i for i in range(68) if not 49 <= i <= 53]
        assert np.array_equal(after[unchanged], lm[unchanged])
        # the control's bow midpoint is the anchor
        np.testing.assert_allclose(after[51], lm[51], atol=1e-3)


def test_full_transfer_matches_the_official_code(control, clp_templates):
    _, lm = control
    for name, template in clp_templates.items():
        after = fn.lip_transform_v2_landmarks(lm, template, 1.0)
        np.testing.assert_allclose(after, official_reference_targets(lm, template), atol=1e-3, err_msg=name)
        np.testing.assert_allclose(after[51, 1], lm[51, 1], atol=1e-3)  # y anchored at the control's 51


@pytest.mark.parametrize("anchor", ["corner", "bow"])
def test_severity_ladder(control, clp_templates, anchor):
    image, lm = control
    template = clp_templates[sorted(clp_templates)[0]]
    zero = fn.lip_transform_v2(image, lm, template, severity=0.0, anchor=anchor)
    assert np.array_equal(zero.image, image) and np.array_equal(zero.landmarks_after, lm)
    full = fn.lip_transform_v2_landmarks(lm, template, 1.0, anchor=anchor)
    for s in (0.25, 0.5, 0.75):
        np.testing.assert_allclose(fn.lip_transform_v2_landmarks(lm, template, s, anchor=anchor),
                                   lm + s * (full - lm), atol=1e-3)
    t = fn.lip_transform_v2(image, lm, template, severity=1.0, anchor=anchor)
    assert t.anchor == anchor
    assert np.array_equal(t.image[t.moved_mask == 0], image[t.moved_mask == 0])
    assert 0 < (t.moved_mask > 0).sum() < 0.06 * t.moved_mask.size  # upper lip + its neighbour triangles
    with pytest.raises(fn.InputError, match=r"severity: expected a value in \[0, 1\]"):
        fn.lip_transform_v2_landmarks(lm, template, 1.5)


def test_re_detected_landmarks_follow_the_transfer(control, clp_templates, pipeline):
    """dlib re-detects the moved upper lip displaced in the direction it was moved.

    Tolerance: dlib's regression trees pull every shape towards a normal face, so on these
    few-pixel LT-v2 moves (2-5 px here) re-detection recovers only about a fifth of the
    displacement (0.05-0.5, mean 0.23 over the 13 shapes on this face). The test asks for the
    right direction on every template and a mean recovery of at least 0.1; exact placement is
    checked on image content in test_warp.py (test_content_moves_where_asked)."""
    image, lm = control
    recovered = []
    for name in sorted(clp_templates):
        t = fn.lip_transform_v2(image, lm, clp_templates[name], severity=1.0)
        found = pipeline.faces(t.image)[0].landmarks
        wanted = (t.landmarks_after - lm)[49:54].astype(np.float64)
        got = (found - lm)[49:54].astype(np.float64)
        recovered.append((wanted * got).sum() / (wanted * wanted).sum())
    assert min(recovered) > 0.0, np.round(recovered, 2)
    assert np.mean(recovered) >= 0.1


def test_seeded_choice_is_recorded_and_reproducible(control, clp_templates):
    image, lm = control
    a = fn.lip_transform_v2(image, lm, clp_templates, severity=0.5, seed=7)
    b = fn.lip_transform_v2(image, lm, clp_templates, severity=0.5, seed=7)
    assert a.template == b.template and a.template in clp_templates and a.seed == 7
    assert np.array_equal(a.image, b.image)
    assert set(a.to_json()) == {"landmarks_before", "landmarks_after", "template", "severity", "seed",
                                "severity_requested", "anchor"}
    assert a.anchor == "corner"


def test_bad_templates(tmp_path, control):
    image, lm = control
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    with pytest.raises(fn.FacenormError):
        load_lip_template(empty)
    flat = np.zeros((68, 2), np.float32)
    np.save(tmp_path / "flat.npy", flat)
    with pytest.raises(fn.InputError, match="48 and 54"):
        load_lip_template(tmp_path / "flat.npy")
    (tmp_path / "none").mkdir()
    with pytest.raises(fn.InputError, match="no lip templates"):
        lip_templates_in(tmp_path / "none")
    with pytest.raises(fn.InputTypeError):
        fn.lip_transform_v2(image, lm, np.zeros((68, 2), np.float64))
    with pytest.raises(fn.InputError, match="anchor"):
        fn.lip_transform_v2(image, lm, np.zeros((68, 2), np.float32), anchor="midpoint")
