"""piecewise_affine_warp against a slow NumPy per-pixel reference, on real faces."""
import numpy as np
import pytest

import facenorm as fn


def reference_warp(image, src, dst, triangles):
    """Per pixel: find the dst triangle holding its centre, map back affinely, sample bilinearly."""
    out = image.astype(np.float64).copy()
    h, w = image.shape[:2]
    img = image.astype(np.float64)
    n = len(src)
    for tri in triangles:
        if not any(k < n and not np.array_equal(src[k], dst[k]) for k in tri):
            continue
        s = np.float64([src[k] for k in tri])
        d = np.float64([dst[k] for k in tri])
        # dst -> src affine: solve [dx dy 1] @ M = [sx sy]
        M = np.linalg.solve(np.c_[d, np.ones(3)], s)
        x0, y0 = np.floor(d.min(0)).astype(int)
        x1, y1 = np.ceil(d.max(0)).astype(int)
        for y in range(max(0, y0), min(h - 1, y1) + 1):
            for x in range(max(0, x0), min(w - 1, x1) + 1):
                # barycentric coordinates of the pixel centre
                T = np.array([[d[0, 0] - d[2, 0], d[1, 0] - d[2, 0]], [d[0, 1] - d[2, 1], d[1, 1] - d[2, 1]]])
                l1, l2 = np.linalg.solve(T, [x - d[2, 0], y - d[2, 1]])
                if min(l1, l2, 1 - l1 - l2) < -1e-9:
                    continue
                sx, sy = np.clip(np.array([x, y, 1.0]) @ M, 0, [w - 1, h - 1])
                xa, ya = int(sx), int(sy)
                xb, yb = min(xa + 1, w - 1), min(ya + 1, h - 1)
                fx, fy = sx - xa, sy - ya
                top = img[ya, xa] * (1 - fx) + img[ya, xb] * fx
                bottom = img[yb, xa] * (1 - fx) + img[yb, xb] * fx
                out[y, x] = top * (1 - fy) + bottom * fy
    return out


@pytest.fixture(scope="module")
def face(celeba_images, pipeline):
    image = fn.read_image(celeba_images[4])
    return image, pipeline.faces(image)[0].landmarks


def lifted_lip(landmarks, pixels=6.0):
    dst = landmarks.copy()
    dst[[49, 50]] -= np.float32([0, pixels])  # raise the left peak of the cupid's bow
    return dst


def test_matches_slow_reference_and_leaves_the_rest_untouched(face):
    image, lm = face
    dst = lifted_lip(lm)
    out, mask = fn.piecewise_affine_warp(image, lm, dst, return_mask=True)
    assert out.dtype == np.uint8 and out.shape == image.shape
    # Pixels outside the moved triangles are bit-identical.
    assert np.array_equal(out[mask == 0], image[mask == 0])
    assert 0 < (mask > 0).sum() < 0.05 * mask.size
    # Inside, the kernel matches the per-pixel reference within 1 grey level.
    triangles, _ = fn.delaunay_with_anchors(lm, image.shape[:2])
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    ref = reference_warp(image, lm, dst, triangles)
    diff = np.abs(out[y0:y1, x0:x1].astype(np.float64) - ref[y0:y1, x0:x1])
    assert diff.max() <= 1.0


def test_triangulation_is_delaunay_and_covers_the_image(face):
    from scipy.spatial import Delaunay

    image, lm = face
    triangles, points = fn.delaunay_with_anchors(lm, image.shape[:2])
    assert len(points) == 68 + 8 and triangles.max() < len(points)
    p = points.astype(np.float64)
    area = lambda t: abs(np.cross(p[t[1]] - p[t[0]], p[t[2]] - p[t[0]])) / 2  # noqa: E731
    h, w = image.shape[:2]
    assert sum(area(t) for t in triangles) == pytest.approx((w - 1) * (h - 1), rel=1e-6)
    assert len(triangles) == len(Delaunay(p).simplices)  # same triangle count as scipy's Delaunay


def test_identity_is_bit_exact_and_moves_nothing(face):
    image, lm = face
    out, mask = fn.piecewise_affine_warp(image, lm, lm.copy(), return_mask=True)
    assert np.array_equal(out, image) and mask.max() == 0


def test_float_images_with_any_channel_count(face):
    image, lm = face
    dst = lifted_lip(lm)
    as_float = image.astype(np.float32) / 255.0
    five = np.ascontiguousarray(np.dstack([as_float, as_float[..., :2]]))
    out = fn.piecewise_affine_warp(five, lm, dst)
    ref = fn.piecewise_affine_warp(image, lm, dst).astype(np.float32) / 255.0
    assert out.shape == five.shape and out.dtype == np.float32
    assert np.abs(out[..., :3] - ref).max() <= 1.0 / 255.0 + 1e-6
    np.testing.assert_array_equal(out[..., 3:], out[..., :2])
    gray = np.ascontiguousarray(image[..., 0])
    assert fn.piecewise_affine_warp(gray, lm, dst).shape == gray.shape


def test_content_moves_where_asked(face):
    """A bright dot placed at a landmark is found, after the warp, at the landmark's destination."""
    image, lm = face
    marked = image.copy()
    x, y = np.round(lm[50]).astype(int)
    marked[y - 1:y + 2, x - 1:x + 2] = 255
    src = lm.copy()
    src[50] = [x, y]
    dst = src.copy()
    dst[50] += np.float32([0, -5])
    out = fn.piecewise_affine_warp(marked, src, dst)
    assert out[y - 5, x].min() > 200  # the dot moved up 5 px


def test_degenerate_and_flipped_triangles_raise(face):
    image, lm = face
    flipped = lm.copy()
    flipped[51] = lm[57] + np.float32([0, 5])  # upper-lip midpoint dragged below the lower lip
    with pytest.raises(fn.InputError, match="flipped|collapses"):
        fn.piecewise_affine_warp(image, lm, flipped)
    collapsed = lm.copy()
    collapsed[50] = lm[49]
    with pytest.raises(fn.InputError, match="collapses|flipped"):
        fn.piecewise_affine_warp(image, lm, collapsed)


def test_bad_inputs(face):
    image, lm = face
    nan = lm.copy()
    nan[3, 1] = np.nan
    with pytest.raises(fn.InputError, match="not finite"):
        fn.piecewise_affine_warp(image, nan, lm)
    with pytest.raises(fn.InputError, match="not finite|outside"):
        fn.piecewise_affine_warp(image, lm, nan)
    outside = lm.copy()
    outside[0] = [-40, 10]
    with pytest.raises(fn.InputError, match="outside"):
        fn.piecewise_affine_warp(image, outside, lm)
    with pytest.raises(fn.InputError, match="as many dst points"):
        fn.piecewise_affine_warp(image, lm, lm[:60].copy())
    with pytest.raises(fn.InputTypeError, match="float32"):
        fn.piecewise_affine_warp(image, lm.astype(np.float64), lm)
    with pytest.raises(fn.InputError, match=r"\(N, 2\)"):
        fn.piecewise_affine_warp(image, lm.reshape(-1), lm)
    with pytest.raises(fn.InputTypeError, match="uint8 or float32"):
        fn.piecewise_affine_warp(image.astype(np.int32), lm, lm)
    dup = lm.copy()
    dup[1] = dup[0]
    with pytest.raises(fn.InputError, match="coincide"):
        fn.piecewise_affine_warp(image, dup, dup)
