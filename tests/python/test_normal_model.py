"""The normal-face model: the robust projection kernel against a slow NumPy IRLS, model files
(round trip, corruption, wrong files), and fitting on real control faces."""
import numpy as np
import pytest

import facenorm as fn
from facenorm import _core
from facenorm.normalize.normal_model import (NormalFaceModel, fit_normal_model, load_normal_model,
                                             default_model_path)


def reference_robust_projection(x, mean, basis, stddev, sigma, group, c=4.685, bound=3.0, iterations=200):
    """Slow reference: Tukey IRLS solving the weighted least squares exactly (np.linalg.lstsq)
    each iteration, coefficients clamped: the fixed point the C++ EM iterations must reach."""
    coef = np.clip(basis @ (x - mean), -bound * stddev, bound * stddev)
    for _ in range(iterations):
        recon = mean + coef @ basis
        r = np.sqrt(((x - recon).reshape(-1, group) ** 2).mean(1)) / sigma
        w = np.where(r < c, (1 - (r / c) ** 2) ** 2, 0.0)
        wd = np.repeat(w, group)
        a = basis.T * np.sqrt(wd)[:, None]
        new = np.linalg.lstsq(a, np.sqrt(wd) * (x - mean), rcond=None)[0]
        new = np.clip(new, -bound * stddev, bound * stddev)
        if np.abs(new - coef).max() < 1e-9:
            break
        coef = new
    return coef, w


@pytest.mark.parametrize("group", [1, 2, 3])
def test_robust_projection_matches_reference_and_rejects_outliers(group):
    rng = np.random.default_rng(group)
    k, d = 6, 60 * group
    basis = np.linalg.qr(rng.normal(size=(d, k)))[0].T.astype(np.float32).copy()
    mean = rng.normal(size=d).astype(np.float32)
    stddev = np.full(k, 2.0, np.float32)
    sigma = np.full(d // group, 0.05, np.float32)
    true = rng.normal(size=k).astype(np.float32)
    x = (mean + true @ basis + rng.normal(scale=0.01, size=d)).astype(np.float32)
    x[:6 * group] += 3.0  # six groups carry a gross anomaly
    got = _core.robust_subspace_projection(x, mean, basis, stddev, sigma, group=group, tolerance=1e-7,
                                           max_iterations=500)
    ref_coef, ref_w = reference_robust_projection(x.astype(np.float64), mean, basis, stddev, sigma, group)
    np.testing.assert_allclose(got["coefficients"], ref_coef, atol=2e-3)
    np.testing.assert_allclose(got["coefficients"], true, atol=0.05)  # the anomaly did not pull the fit
    assert np.all(got["weights"][:6] == 0) and np.all(got["weights"][6:] > 0.9)
    np.testing.assert_allclose(got["weights"], ref_w, atol=1e-2)
    plain = basis @ (x - mean)
    assert np.abs(plain - true).max() > 10 * np.abs(got["coefficients"] - true).max()


def test_robust_projection_bounds_coefficients_and_rejects_bad_input():
    basis = np.eye(3, 6, dtype=np.float32)
    mean = np.zeros(6, np.float32)
    x = np.array([100, 0, 0, 0, 0, 0], np.float32)
    r = _core.robust_subspace_projection(x, mean, basis, np.ones(3, np.float32), np.full(6, 1e3, np.float32))
    assert r["coefficients"][0] == pytest.approx(3.0)  # clamped to 3 stddev
    with pytest.raises(fn.InputTypeError, match="float32"):
        _core.robust_subspace_projection(x.astype(np.float64), mean, basis, np.ones(3, np.float32), np.ones(6, np.float32))
    with pytest.raises(fn.InputError, match="sigma"):
        _core.robust_subspace_projection(x, mean, basis, np.ones(3, np.float32), np.ones(5, np.float32))
    with pytest.raises(fn.InputError, match="positive"):
        _core.robust_subspace_projection(x, mean, basis, np.ones(3, np.float32), np.zeros(6, np.float32))
    bad = x.copy()
    bad[1] = np.nan
    with pytest.raises(fn.InputError, match="finite"):
        _core.robust_subspace_projection(bad, mean, basis, np.ones(3, np.float32), np.ones(6, np.float32))


@pytest.fixture(scope="module")
def shipped_model():
    if not default_model_path().is_file():
        pytest.skip("models/normal_face_model.npz is missing")
    return load_normal_model()


def test_shipped_model_is_consistent(shipped_model):
    m = shipped_model
    assert m.meta["faces"] >= 900 and m.frame == 128
    for basis in (m.shape_basis, m.texture_basis):  # orthonormal rows
        np.testing.assert_allclose(basis @ basis.T, np.eye(len(basis)), atol=1e-4)
    assert m.texture_basis.shape[1] == 3 * m.texture_mask.sum() == m.texture_mean.size
    assert np.all(m.shape_sigma > 0) and np.all(m.texture_sigma > 0)
    eyes = m.mean_shape[42:48].mean(0) - m.mean_shape[36:42].mean(0)
    assert np.linalg.norm(eyes) == pytest.approx(40.0, abs=0.01) and abs(eyes[1]) < 0.01


def test_model_file_round_trip_and_corruption(shipped_model, tmp_path):
    path = tmp_path / "model.npz"
    shipped_model.save(path)
    again = load_normal_model(path)
    for name in ("mean_shape", "shape_basis", "texture_basis", "texture_sigma", "texture_mask"):
        np.testing.assert_array_equal(getattr(again, name), getattr(shipped_model, name))
    data = bytearray(path.read_bytes())
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(fn.ModelError, match="truncated.npz"):
        load_normal_model(truncated)
    # an altered array inside an otherwise valid archive: caught by the checksum
    arrays = dict(np.load(path))
    arrays["texture_mean"] = arrays["texture_mean"] + 0.01
    altered = tmp_path / "altered.npz"
    np.savez(altered, **arrays)
    with pytest.raises(fn.ModelError, match="checksum"):
        load_normal_model(altered)
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(fn.ModelError, match="not a facenorm normal-face model"):
        load_normal_model(other)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(fn.ModelError, match="cannot read"):
        load_normal_model(text)
    with pytest.raises(fn.MissingFileError, match="fit-normal-model"):
        load_normal_model(tmp_path / "absent.npz")
    assert not list(tmp_path.glob("*.tmp*"))  # saves are atomic


def test_fit_on_real_control_faces(shared_data, pipeline, tmp_path):
    paths = sorted((shared_data / "celebamask" / "train" / "images").glob("*.jpg"))[:40]
    faces = []
    for p in paths:
        image = fn.read_image(str(p))
        try:
            faces.append((image, pipeline.faces(image)[0].landmarks))
        except fn.NoFaceError:
            continue
    model = fit_normal_model(faces, shape_components=8, texture_components=10, progress=False)
    assert isinstance(model, NormalFaceModel) and model.meta["faces"] == len(faces)
    assert 1 <= len(model.shape_stddev) <= 8 and 1 <= len(model.texture_stddev) <= 10
    assert np.all(np.diff(model.shape_stddev) <= 0)  # components ordered by variance
    # the mean texture is skin: red above green above blue on average
    rgb = model.texture_mean.reshape(-1, 3).mean(0)
    assert rgb[0] > rgb[1] > rgb[2] and 0.2 < rgb.mean() < 0.9
    model.save(tmp_path / "m.npz")
    assert load_normal_model(tmp_path / "m.npz").meta["faces"] == len(faces)
    with pytest.raises(fn.InputError, match="at least 20"):
        fit_normal_model(faces[:5], progress=False)
