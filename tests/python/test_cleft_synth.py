"""fn.synthesize_cleft: support, identity at severity 0, seeds, landmarks on the rendered lip,
scale with the face, refusals. On astronaut.png and on drawn synthetic faces (no shared data)."""
import json

import cv2
import numpy as np
import pytest

import facenorm as fn
from facenorm.lipsynth.cleft import CLEFT_KINDS

LUMA = np.float32([0.299, 0.587, 0.114])
CASES = [("unilateral_incomplete", "left"), ("unilateral_complete", "right"), ("bilateral_incomplete", "both"),
         ("bilateral_complete", "both"), ("repaired", "left"), ("repaired", "both")]


def drawn_face(mouth_width: float, seed: int = 0):
    """A textured face drawn on the generic face model's landmarks: skin with blotches, red lips
    with an inner mouth line, dark nostrils; `mouth_width` px (the image scales with it)."""
    model = fn.generic_face_model_3d()[:, :2].astype(np.float64)
    scale = mouth_width / np.linalg.norm(model[54] - model[48])
    points = (model - model.mean(0)) * scale
    size = int(np.ceil(np.ptp(points, axis=0).max() * 1.4))
    points += size / 2
    rng = np.random.default_rng(seed)
    blotches = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), max(1.0, size / 120))
    image = np.clip(np.float32([215, 160, 140]) * (1 + 0.6 * blotches[..., None] / blotches.std() * 0.1), 0, 255)
    outer, inner = np.round(points[48:60]).astype(np.int32), np.round(points[60:68]).astype(np.int32)
    cv2.fillPoly(image, [outer], (185, 80, 90))
    cv2.polylines(image, [inner], True, (90, 30, 40), max(1, int(mouth_width / 60)))
    for i in (32, 34):
        centre = tuple(int(v) for v in np.round(points[i] - [0, 0.03 * mouth_width]))
        axes = (max(1, int(0.06 * mouth_width)), max(1, int(0.035 * mouth_width)))
        cv2.ellipse(image, centre, axes, 0, 0, 360, (70, 40, 40), -1)
    return np.ascontiguousarray(image.astype(np.uint8)), points.astype(np.float32)


@pytest.fixture(scope="module")
def astronaut(astronaut_path, pipeline):
    image = fn.read_image(astronaut_path)
    return image, pipeline.faces(image)[0].landmarks


@pytest.fixture(scope="module", params=["astronaut", "drawn_small", "drawn_large"])
def face(request, astronaut):
    if request.param == "astronaut":
        return astronaut
    return drawn_face(40.0 if request.param == "drawn_small" else 180.0)


@pytest.mark.parametrize("kind,side", CASES)
@pytest.mark.parametrize("severity", [0.3, 1.0])
def test_nothing_changes_outside_the_mask(face, kind, side, severity):
    image, lm = face
    r = fn.synthesize_cleft(image, lm, kind=kind, side=side, severity=severity, seed=11)
    assert r.image.dtype == np.uint8 and r.image.shape == image.shape
    assert r.mask.dtype == bool and r.mask.shape == image.shape[:2]
    changed = np.any(r.image != image, axis=2)
    assert changed.any() and not (changed & ~r.mask).any()
    # the mask is the support of a local change, around the upper lip and the nose: under 2.5 W^2
    # (W the mouth width; 1.5-2.2 W^2 measured over the kinds and severities)
    assert r.mask.sum() < 2.5 * r.params["face"]["mouth_width_px"] ** 2
    assert r.landmarks.dtype == np.float32 and r.landmarks.shape == (68, 2)
    assert np.array_equal(r.landmarks[:27], lm[:27])  # jaw and brows never move
    json.dumps(r.params)
    assert r.params["kind"] == kind and r.params["severity"] == severity and r.params["seed"] == 11


@pytest.mark.parametrize("kind,side", CASES)
def test_severity_zero_returns_the_input_bit_for_bit(astronaut, kind, side):
    image, lm = astronaut
    r = fn.synthesize_cleft(image, lm, kind=kind, side=side, severity=0.0, seed=1)
    assert np.array_equal(r.image, image) and r.image is not image
    assert np.array_equal(r.landmarks, lm) and not r.mask.any()


def test_seeded_and_deterministic(astronaut):
    image, lm = astronaut
    for kind, side in CASES:
        a = fn.synthesize_cleft(image, lm, kind=kind, side=side, severity=0.7, seed=5)
        b = fn.synthesize_cleft(image, lm, kind=kind, side=side, severity=0.7, seed=5)
        c = fn.synthesize_cleft(image, lm, kind=kind, side=side, severity=0.7, seed=6)
        assert np.array_equal(a.image, b.image) and np.array_equal(a.landmarks, b.landmarks)
        assert a.params == b.params
        assert not np.array_equal(a.image, c.image) and a.params["per_side"] != c.params["per_side"]


def patch(image, point, r=2):
    x, y = int(round(float(point[0]))), int(round(float(point[1])))
    return image[y - r:y + r + 1, x - r:x + r + 1].astype(np.float32)


@pytest.mark.parametrize("kind,side", CASES)
def test_moved_landmarks_carry_their_image_content(kind, side):
    """The landmarks after are the landmarks carried by the same warp as the pixels, so the lip
    and nose edges they mark moved with them: the 5 x 5 patch at a moved landmark's new place in
    the output looks like the input's patch at its old place, far more than the output does at
    the old place (where a gap, or the neighbouring tissue, now is). It fails if the landmarks
    were moved by other rules than the image (or not at all)."""
    image, lm = drawn_face(180.0, seed=2)
    r = fn.synthesize_cleft(image, lm, kind=kind, side=side, severity=1.0, seed=3)
    moved = [i for i in range(27, 68) if np.linalg.norm(r.landmarks[i] - lm[i]) > 2.0]
    assert len(moved) >= 3, moved
    carried, stayed = [], []
    for i in moved:
        before = patch(image, lm[i])
        carried.append(np.abs(patch(r.image, r.landmarks[i]) - before).mean())
        stayed.append(np.abs(patch(r.image, lm[i]) - before).mean())
    carried, stayed = np.array(carried), np.array(stayed)
    assert np.median(carried) < 0.5 * np.median(stayed), (moved, carried.round(1), stayed.round(1))
    assert np.mean(carried < stayed) >= 0.75, (moved, carried.round(1), stayed.round(1))


def test_smooth_warp_sends_each_centre_source_to_its_centre_where_it_is_steep():
    """The landmarks a nose or lip move names end exactly at their planned place, even where
    close points move apart so strongly that the warp's gradient exceeds 1 (bilateral complete
    clefts): there a fixed-point iteration from the point itself wanders off by tens of pixels."""
    from facenorm.lipsynth.cleft.smooth_warp import SmoothWarp
    centres = np.array([[100.0, 100.0], [106.0, 100.0], [100.0, 106.0], [90.0, 90.0]])
    deltas = np.array([[8.0, 0.0], [-8.0, 0.0], [0.0, 9.0], [0.0, 0.0]])
    warp = SmoothWarp(centres, deltas, 20.0)
    after = warp.forward_points(centres - deltas)
    np.testing.assert_allclose(after, centres, atol=1e-3)
    np.testing.assert_allclose(after - warp.displacement_at(after), centres - deltas, atol=1e-3)


@pytest.mark.parametrize("kind,side,edges", [("unilateral_complete", "left", (52, 53)),
                                             ("unilateral_incomplete", "right", (50, 49))])
def test_gap_lies_between_the_new_landmarks_of_its_two_sides(kind, side, edges):
    """The dark cavity at the vermilion border (the largest patch of pixels that were lip or skin
    and are now darker than half the lip's luminance) lies between the new positions of the bow peak (the medial edge) and the
    next lateral lip point, along the mouth."""
    image, lm = drawn_face(180.0, seed=4)
    r = fn.synthesize_cleft(image, lm, kind=kind, side=side, severity=1.0, seed=8)
    lip_luma = 0.5 * float(np.float32(r.params["face"]["lip_rgb"]) @ LUMA)
    newly_dark = r.mask & (r.image.astype(np.float32) @ LUMA < lip_luma) & (image.astype(np.float32) @ LUMA >= lip_luma)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(newly_dark.view(np.uint8))
    dark = labels == 1 + np.argmax(stats[1:, cv2.CC_STAT_AREA])  # the gap (the rest: the moved mouth line)
    medial, lateral = edges
    top = min(r.landmarks[medial, 1], r.landmarks[lateral, 1])
    ys, xs = np.nonzero(dark)
    band = (ys > top) & (ys < lm[62, 1])  # the vermilion, between the border and the mouth line
    assert band.sum() > 20
    lo, hi = sorted([r.landmarks[medial, 0], r.landmarks[lateral, 0]])
    assert np.all((xs[band] > lo - 1) & (xs[band] < hi + 1))
    planned = r.params["per_side"][side]["gap_width"] * r.params["face"]["mouth_width_px"]
    assert np.ptp(xs[band]) > 0.25 * planned  # the gap's dark middle (its walls are lit mucosa), not a stray pixel


def test_scaled_by_the_face_at_any_resolution():
    """The same face drawn 4x larger gets the same cleft in face units: the same parameters and
    a changed region 16x larger (within 25%)."""
    small, large = drawn_face(45.0), drawn_face(180.0)
    for kind, side in CASES:
        a = fn.synthesize_cleft(*small, kind=kind, side=side, severity=0.8, seed=9)
        b = fn.synthesize_cleft(*large, kind=kind, side=side, severity=0.8, seed=9)
        assert a.params["per_side"] == b.params["per_side"]
        ratio = b.mask.sum() / a.mask.sum()
        assert 16 * 0.75 < ratio < 16 * 1.25, (kind, ratio)


def test_bad_inputs_are_refused(astronaut):
    image, lm = astronaut
    with pytest.raises(fn.InputTypeError, match="uint8"):
        fn.synthesize_cleft(image.astype(np.float32), lm)
    with pytest.raises(fn.InputTypeError, match="NumPy"):
        fn.synthesize_cleft(image.tolist(), lm)
    with pytest.raises(fn.InputError, match="shape"):
        fn.synthesize_cleft(image[:, :, 0].copy(), lm)
    with pytest.raises(fn.InputTypeError, match="float32"):
        fn.synthesize_cleft(image, lm.astype(np.float64))
    with pytest.raises(fn.InputError, match="68"):
        fn.synthesize_cleft(image, lm[:67])
    bad = lm.copy()
    bad[30, 0] = np.nan
    with pytest.raises(fn.InputError, match="finite"):
        fn.synthesize_cleft(image, bad)
    outside = lm.copy()
    outside[51] = [-5.0, 10.0]
    with pytest.raises(fn.InputError, match="outside"):
        fn.synthesize_cleft(image, outside)
    with pytest.raises(fn.InputError, match="kind"):
        fn.synthesize_cleft(image, lm, kind="median")
    with pytest.raises(fn.InputError, match="side"):
        fn.synthesize_cleft(image, lm, side="middle")
    with pytest.raises(fn.InputError, match="one side"):
        fn.synthesize_cleft(image, lm, kind="unilateral_complete", side="both")
    for severity in (-0.1, 1.5, float("nan"), "1", True):
        with pytest.raises(fn.InputError, match="severity"):
            fn.synthesize_cleft(image, lm, severity=severity)
    assert set(CLEFT_KINDS) == {k for k, _ in CASES}
