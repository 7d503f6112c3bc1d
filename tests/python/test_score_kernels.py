"""The PLOS ONE 2023 heatmap/score kernels (eqs. 3-6) against a slow NumPy float64 reference,
SSIM against scikit-image, and the bad inputs."""
import math
import zlib

import numpy as np
import pytest

import facenorm as fn
from facenorm import _core as core

CAP = -math.log(1e-9)  # 20.7232658...

# ---- the reference: eqs. 3-6 written out in float64 (facenorm.score._reference) ----
from facenorm.score import _reference  # noqa: E402

ref_colour, ref_min_filter, ref_pse, ref_score = _reference.colour, _reference.min_filter, _reference.pse, _reference.score
BT601, OFFSETS = _reference.BT601, _reference.OFFSETS


def test_the_fast_reference_erosion_equals_the_loop():
    rng = np.random.default_rng(5)
    h = rng.random((23, 31, 3)) * 100
    for size in (3, 5):
        np.testing.assert_array_equal(ref_min_filter(h, size, fast=True), ref_min_filter(h, size))


def assert_score_close(got, want):
    assert set(got) == {"score", "frobenius", "pixels", "capped"}
    assert got["capped"] == want["capped"]
    for key in ("score", "frobenius", "pixels"):
        assert got[key] == pytest.approx(want[key], rel=1e-5, abs=1e-5), key


def random_pair(rng, shape, spread=255):
    a = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
    noise = rng.integers(-spread, spread + 1, shape + (3,))
    b = np.clip(a.astype(np.int64) + noise, 0, 255).astype(np.uint8)
    return a, b


def ellipse_mask(shape, soft=True):
    rows, cols = shape
    y, x = np.mgrid[0:rows, 0:cols]
    d = ((y - rows * 0.6) / (rows * 0.2)) ** 2 + ((x - cols * 0.5) / (cols * 0.3)) ** 2
    m = np.clip(1.5 - d, 0, 1) if soft else (d <= 1).astype(np.float64)
    return np.ascontiguousarray(m, dtype=np.float32)


def perturbed(image, rng, box_fraction=(0.55, 0.75, 0.3, 0.7)):
    """A copy with a lip-sized patch blurred and shifted, plus mild noise."""
    import cv2

    h, w = image.shape[:2]
    y0, y1, x0, x1 = (int(box_fraction[0] * h), int(box_fraction[1] * h), int(box_fraction[2] * w),
                      int(box_fraction[3] * w))
    out = image.copy()
    out[y0:y1, x0:x1] = cv2.GaussianBlur(image[y0 - 3:y1 - 3, x0:x1], (0, 0), 2.5)
    noise = rng.normal(0, 2.0, image.shape)
    return np.clip(np.rint(out + noise), 0, 255).astype(np.uint8)


# ---- eq. 3 ----

def test_rgb_to_ycbcr_matches_bt601():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)
    img[0, 0], img[0, 1] = (255, 255, 255), (0, 0, 0)
    y = core.rgb_to_ycbcr(img)
    assert y.dtype == np.float32 and y.shape == img.shape
    np.testing.assert_allclose(y, ref_colour(img, "ycbcr"), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(y[0, 0], [235, 128, 128], atol=1e-4)
    np.testing.assert_allclose(y[0, 1], [16, 128, 128], atol=1e-4)


# ---- eqs. 4-6 on random images ----

SHAPES = [(1, 1), (2, 3), (7, 5), (16, 16), (31, 47), (64, 33), (101, 128)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("colour", ["rgb", "ycbcr"])
@pytest.mark.parametrize("erosion", [0, 3, 5])
def test_pse_and_score_match_the_float64_reference(shape, colour, erosion):
    rng = np.random.default_rng(zlib.crc32(repr((shape, colour, erosion)).encode()))
    a, b = random_pair(rng, shape)
    want = ref_pse(a, b, colour, erosion)
    got = core.pse_heatmap(a, b, colour=colour, erosion=erosion)
    assert got.dtype == np.float32 and got.shape == shape + (3,)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    soft = rng.random(shape).astype(np.float32)
    soft.flat[0] = 1.0
    binary = (soft > 0.5).astype(np.float32)
    for mask in (None, soft, binary):
        assert_score_close(core.heatmap_score(got, mask), ref_score(want, mask))
        # the fused pass gives exactly what the two calls give
        assert core.pse_score(a, b, mask, colour=colour, erosion=erosion) == core.heatmap_score(got, mask)
        fused, fused_heat = core.pse_score(a, b, mask, colour=colour, erosion=erosion, return_heatmap=True)
        assert fused == core.heatmap_score(got, mask)
        np.testing.assert_array_equal(fused_heat, got)


def test_defaults_are_ycbcr_with_3x3_erosion_for_pse_and_no_erosion_for_ssim():
    rng = np.random.default_rng(1)
    a, b = random_pair(rng, (20, 24))
    np.testing.assert_array_equal(core.pse_heatmap(a, b), core.pse_heatmap(a, b, colour="ycbcr", erosion=3))
    np.testing.assert_array_equal(core.ssim_heatmap(a, b), core.ssim_heatmap(a, b, colour="ycbcr", erosion=0))


@pytest.mark.parametrize("channels", [None, 1, 3, 4])
@pytest.mark.parametrize("size", [0, 1, 3, 5, 7])
def test_erode_heatmap_matches_the_reference_and_keeps_the_shape(channels, size):
    rng = np.random.default_rng(size)
    shape = (23, 19) if channels is None else (23, 19, channels)
    h = (rng.random(shape) * 100).astype(np.float32)
    got = core.erode_heatmap(h, size)
    assert got.shape == h.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got, ref_min_filter(h.astype(np.float64), size).astype(np.float32))


def test_score_of_a_single_channel_heatmap():
    rng = np.random.default_rng(2)
    h = (rng.random((30, 40)) * 5).astype(np.float32)
    mask = ellipse_mask((30, 40))
    assert_score_close(core.heatmap_score(h, mask), ref_score(h, mask))
    assert_score_close(core.heatmap_score(h[:, :, None].copy()), ref_score(h))


def test_soft_mask_weights_pixels_not_channels():
    h = np.zeros((1, 2, 3), np.float32)
    h[0, 0] = (1, 2, 3)
    h[0, 1] = (10, 20, 30)
    d = core.heatmap_score(h, np.float32([[1.0, 0.25]]))
    assert d["pixels"] == pytest.approx(1.25)
    assert d["frobenius"] == pytest.approx(math.sqrt(6 + 0.25 * 60))
    assert d["score"] == pytest.approx(-math.log(math.sqrt(21) / 1.25))
    assert d["capped"] is False


# ---- real faces ----

@pytest.fixture(scope="module")
def faces(celeba_images):
    rng = np.random.default_rng(3)
    out = []
    for path in celeba_images[:3]:
        image = fn.read_image(path)
        out.append((image, perturbed(image, rng)))
    return out


@pytest.mark.parametrize("colour", ["rgb", "ycbcr"])
@pytest.mark.parametrize("erosion", [0, 3, 5])
def test_real_faces_match_the_reference(faces, colour, erosion):
    for original, normalized in faces:
        want = ref_pse(original, normalized, colour, erosion)
        got = core.pse_heatmap(original, normalized, colour=colour, erosion=erosion)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        for mask in (None, ellipse_mask(original.shape[:2]), ellipse_mask(original.shape[:2], soft=False)):
            assert_score_close(core.heatmap_score(got, mask), ref_score(want, mask))
            assert core.pse_score(original, normalized, mask, colour=colour, erosion=erosion) == \
                core.heatmap_score(got, mask)


def test_real_face_with_a_landmark_region_mask(celeba_images, pipeline):
    image = fn.read_image(celeba_images[0])
    landmarks = pipeline.faces(image)[0].landmarks
    normalized = perturbed(image, np.random.default_rng(4))
    mask = fn.region_mask(landmarks, image.shape[:2], "mouth", 2.0)
    heat = core.pse_heatmap(image, normalized)
    assert_score_close(core.heatmap_score(heat, mask), ref_score(ref_pse(image, normalized, "ycbcr", 3), mask))


# ---- SSIM ----

def skimage_one_minus_ssim(a, b, colour):
    from skimage.metrics import structural_similarity

    x, y = ref_colour(a, colour), ref_colour(b, colour)
    _, s = structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 data_range=255, full=True, channel_axis=-1)
    return 1.0 - s


@pytest.mark.parametrize("colour", ["rgb", "ycbcr"])
@pytest.mark.parametrize("shape", [(11, 11), (24, 37), (64, 50)])
def test_ssim_matches_skimage_on_random_images(colour, shape):
    rng = np.random.default_rng(5)
    a, b = random_pair(rng, shape, spread=60)
    got = core.ssim_heatmap(a, b, colour=colour, erosion=0)
    assert got.dtype == np.float32 and got.shape == shape + (3,)
    np.testing.assert_allclose(got, skimage_one_minus_ssim(a, b, colour), atol=1e-4)


@pytest.mark.parametrize("colour", ["rgb", "ycbcr"])
def test_ssim_matches_skimage_on_a_real_face(faces, colour):
    original, normalized = faces[0]
    want = skimage_one_minus_ssim(original, normalized, colour)
    np.testing.assert_allclose(core.ssim_heatmap(original, normalized, colour=colour, erosion=0), want, atol=1e-4)
    eroded = core.ssim_heatmap(original, normalized, colour=colour, erosion=3)
    np.testing.assert_allclose(eroded, ref_min_filter(np.maximum(want, 0), 3), atol=1e-4)


def test_ssim_on_images_smaller_than_the_window_matches_scipy_reflect():
    """skimage refuses images under 11 x 11; the formula with scipy's 'reflect' still applies."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(6)
    a, b = random_pair(rng, (5, 7), spread=80)
    x, y = ref_colour(a, "rgb"), ref_colour(b, "rgb")
    blur = lambda im: np.stack([gaussian_filter(im[..., c], 1.5, truncate=3.5, mode="reflect") for c in range(3)], -1)
    ux, uy = blur(x), blur(y)
    vx, vy, vxy = blur(x * x) - ux * ux, blur(y * y) - uy * uy, blur(x * y) - ux * uy
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    np.testing.assert_allclose(core.ssim_heatmap(a, b, colour="rgb", erosion=0), 1 - s, atol=1e-4)


# ---- identical images, monotonicity ----

@pytest.mark.parametrize("colour", ["rgb", "ycbcr"])
@pytest.mark.parametrize("erosion", [0, 3])
def test_identical_images_give_zero_and_the_capped_score(colour, erosion):
    rng = np.random.default_rng(7)
    a, _ = random_pair(rng, (40, 30))
    heat = core.pse_heatmap(a, a.copy(), colour=colour, erosion=erosion)
    assert not heat.any()
    for mask in (None, ellipse_mask((40, 30))):
        d = core.heatmap_score(heat, mask)
        assert d["capped"] is True
        assert d["frobenius"] == 0.0
        assert not math.isnan(d["score"])
        assert d["score"] == -math.log(1e-9) == pytest.approx(20.7233, abs=1e-4)
    assert core.SCORE_FLOOR == 1e-9
    assert not core.ssim_heatmap(a, a.copy(), colour=colour).any()


def test_score_decreases_strictly_as_noise_grows():
    rng = np.random.default_rng(8)
    a = rng.integers(30, 226, (64, 64, 3), dtype=np.uint8)
    z = rng.normal(size=a.shape)
    mask = ellipse_mask(a.shape[:2])
    scores = []
    for sigma in (1, 2, 4, 8, 16, 32):
        b = np.clip(np.rint(a + sigma * z), 0, 255).astype(np.uint8)
        scores.append(core.heatmap_score(core.pse_heatmap(a, b), mask)["score"])
    assert all(s1 > s2 for s1, s2 in zip(scores, scores[1:])), scores


def test_score_decreases_strictly_as_a_patch_is_blended_in(faces):
    original, _ = faces[0]
    h, w = original.shape[:2]
    other = np.ascontiguousarray(original[::-1, ::-1])
    patch = (slice(int(0.6 * h), int(0.8 * h)), slice(int(0.3 * w), int(0.7 * w)))
    mask = ellipse_mask((h, w))
    scores = []
    for weight in (0.05, 0.1, 0.2, 0.4, 0.7, 1.0):
        b = original.copy()
        blend = (1 - weight) * original[patch] + weight * other[patch].astype(np.float64)
        b[patch] = np.rint(blend).astype(np.uint8)
        scores.append(core.heatmap_score(core.pse_heatmap(original, b), mask)["score"])
    assert all(s1 > s2 for s1, s2 in zip(scores, scores[1:])), scores


# ---- bad inputs ----

@pytest.fixture
def pair():
    return random_pair(np.random.default_rng(9), (16, 16))


def test_different_shapes(pair):
    a, _ = pair
    b = np.zeros((16, 17, 3), np.uint8)
    with pytest.raises(fn.InputError, match=r"normalized: expected the shape of original .*\(16, 16, 3\).*\(16, 17, 3\)"):
        core.pse_heatmap(a, b)
    with pytest.raises(fn.InputError, match="expected the shape of original"):
        core.ssim_heatmap(a, b)


def test_float_image(pair):
    a, b = pair
    with pytest.raises(fn.InputTypeError, match=r"original: expected a uint8 RGB image .*got float32"):
        core.pse_heatmap(a.astype(np.float32), b)
    with pytest.raises(fn.InputTypeError, match=r"normalized: expected a uint8 RGB image .*got float64"):
        core.ssim_heatmap(a, b.astype(np.float64))
    with pytest.raises(TypeError):  # the builtin, too
        core.rgb_to_ycbcr(a.astype(np.float32))


def test_two_dimensional_image(pair):
    a, _ = pair
    with pytest.raises(fn.InputError, match=r"expected shape \(H, W, 3\) RGB, got uint8 array of shape \(16, 16\)"):
        core.pse_heatmap(a[:, :, 0].copy(), a[:, :, 0].copy())


def test_int_mask(pair):
    heat = core.pse_heatmap(*pair)
    with pytest.raises(fn.InputTypeError, match=r"mask: expected a float32 array of shape \(H, W\), got int64"):
        core.heatmap_score(heat, np.ones((16, 16), np.int64))
    with pytest.raises(fn.InputTypeError, match="mask: expected a float32"):
        core.heatmap_score(heat, [[1.0] * 16] * 16)


def test_empty_mask(pair):
    heat = core.pse_heatmap(*pair)
    with pytest.raises(fn.InputError, match="mask: selects no pixels"):
        core.heatmap_score(heat, np.zeros((16, 16), np.float32))
    with pytest.raises(ValueError, match="selects no pixels"):
        core.pse_score(*pair, np.zeros((16, 16), np.float32))


def test_mask_of_the_wrong_shape(pair):
    heat = core.pse_heatmap(*pair)
    with pytest.raises(fn.InputError, match=r"mask: expected shape \(16, 16\) like the image/heatmap, got float32 array of shape \(16, 15\)"):
        core.heatmap_score(heat, np.ones((16, 15), np.float32))
    with pytest.raises(fn.InputError, match=r"mask: expected shape \(H, W\)"):
        core.heatmap_score(heat, np.ones((16, 16, 1), np.float32))


def test_mask_values_outside_0_1(pair):
    heat = core.pse_heatmap(*pair)
    for bad in (1.5, -0.5, np.nan):
        mask = np.ones((16, 16), np.float32)
        mask[3, 4] = bad
        with pytest.raises(fn.InputError, match=r"mask: expected values in \[0, 1\].*row 3, column 4"):
            core.heatmap_score(heat, mask)


def test_even_or_negative_erosion(pair):
    for size in (2, 4, -3):
        with pytest.raises(fn.InputError, match=r"erosion: expected 0 \(off\) or an odd size >= 3"):
            core.pse_heatmap(*pair, erosion=size)
        with pytest.raises(fn.InputError, match="odd size"):
            core.ssim_heatmap(*pair, erosion=size)
        with pytest.raises(fn.InputError, match="odd size"):
            core.erode_heatmap(np.zeros((4, 4), np.float32), size)


def test_bad_heatmaps_and_colour(pair):
    heat = core.pse_heatmap(*pair)
    with pytest.raises(fn.InputTypeError, match=r"heatmap: expected a float32 array .*got float64"):
        core.heatmap_score(heat.astype(np.float64))
    with pytest.raises(fn.InputError, match="C-contiguous"):
        core.heatmap_score(heat[:, ::2])
    for bad in (-1.0, np.nan, np.inf):
        h = heat.copy()
        h[5, 6, 1] = bad
        with pytest.raises(fn.InputError, match=r"heatmap: expected finite values >= 0"):
            core.heatmap_score(h)
    with pytest.raises(fn.InputError, match=r"colour: expected 'rgb' or 'ycbcr', got 'hsv'"):
        core.pse_heatmap(*pair, colour="hsv")


def test_docstrings_state_the_formulas_and_the_sign():
    assert "-ln(max(||H||_F / N, SCORE_FLOOR))" in core.heatmap_score.__doc__
    assert "MORE NORMAL" in core.heatmap_score.__doc__
    assert "(eq. 4)" in core.pse_heatmap.__doc__ and "(eq. 5)" in core.pse_heatmap.__doc__
    assert "65.481" in core.rgb_to_ycbcr.__doc__
    assert "skimage" in core.ssim_heatmap.__doc__
