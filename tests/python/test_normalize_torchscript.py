"""The `torchscript` normalizer: a chain of user TorchScript modules on the aligned face.

The modules are tiny scripted functions saved to tmp_path; the faces are real (CelebAMask-HQ
from ../shared/data, skipped when absent, and scikit-image's astronaut).
"""
import numpy as np
import pytest
import torch

import facenorm as fn
from facenorm._core import InputError, InputTypeError, MissingFileError, ModelError
from facenorm.normalize import get_normalizer
from facenorm.normalize.torchscript_chain import EYES_X, EYES_Y, TorchScriptNormalizer


class Identity(torch.nn.Module):
    def forward(self, x):
        return x


class Invert(torch.nn.Module):
    def forward(self, x):
        return 1.0 - x


class AddTenth(torch.nn.Module):
    def forward(self, x):
        return x + 0.1


class Halve(torch.nn.Module):
    def forward(self, x):
        return x * 0.5


class InvertWithExtras(torch.nn.Module):  # CodeFormer-like: (image, logits, features)
    def forward(self, x):
        return 1.0 - x, x.mean(), x[:, :1]


class DropsARow(torch.nn.Module):
    def forward(self, x):
        return x[:, :, 1:]


class ReturnsDouble(torch.nn.Module):
    def forward(self, x):
        return x.double()


class ReturnsNaN(torch.nn.Module):
    def forward(self, x):
        return x * float("nan")


def save(tmp_path, module_class) -> str:
    path = tmp_path / f"{module_class.__name__.lower()}.pt"
    torch.jit.script(module_class()).save(str(path))
    return str(path)


def load_face(path, pipeline):
    image = fn.read_image(path)
    return image, pipeline.faces(image)[0].landmarks


@pytest.fixture(scope="module")
def celeba_face(celeba_images, pipeline):
    return load_face(celeba_images[0], pipeline)


@pytest.fixture(scope="module")
def astronaut(astronaut_path, pipeline):
    return load_face(astronaut_path, pipeline)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Class name -> path of its scripted module."""
    folder = tmp_path_factory.mktemp("torchscript")
    classes = (Identity, Invert, AddTenth, Halve, InvertWithExtras, DropsARow, ReturnsDouble, ReturnsNaN)
    return {c.__name__: save(folder, c) for c in classes}


def test_identity_chain_returns_nearly_the_input(celeba_face, models):
    image, landmarks = celeba_face
    result = TorchScriptNormalizer(models=models["Identity"], size=512, blend="full").normalize(image, landmarks)
    diff = np.abs(result.image.astype(int) - image.astype(int))
    # The face is resampled twice (bilinear into the aligned frame, bilinear back), at about its own
    # scale: smooth skin comes back within a level or two, sharp edges (hair, eyelashes, teeth) lose
    # some contrast. Measured on 8 CelebAMask-HQ faces with blend=full: mean 0.8-1.7 levels, 99th
    # percentile 5-14, max 41-73 (this face: 0.8, 6, 45). The bounds leave room for other builds.
    assert diff.mean() < 2.5
    assert np.percentile(diff, 99) < 20
    assert diff.max() < 128
    assert result.changed.dtype == np.float32 and result.changed.max() < 0.5


def test_inverting_changes_only_inside_the_face_mask(astronaut, models):
    image, landmarks = astronaut
    normalizer = TorchScriptNormalizer(models=models["Invert"], size=128)
    result = normalizer.normalize(image, landmarks)
    outside = result.changed == 0
    assert np.array_equal(result.image[outside], image[outside])  # bit-exact where the mask is 0
    # Far outside the face (the photo's corners, well beyond the landmarks' hull) nothing moves.
    x0, y0 = landmarks.min(axis=0).astype(int) - 20
    assert np.array_equal(result.image[:y0, :x0], image[:y0, :x0])
    assert np.array_equal(result.image[:, -10:], image[:, -10:])
    # Inside (around the nose) the colours are inverted, up to the two resamplings' blur.
    cx, cy = landmarks[30].astype(int)
    inside = (slice(cy - 3, cy + 4), slice(cx - 3, cx + 4))
    assert np.abs(result.image[inside].astype(int) - (255 - image[inside].astype(int))).mean() < 20
    assert result.changed[cy, cx] > 0.05
    assert result.info["models"] == [models["Invert"]] and result.info["size"] == 128


def test_chain_applies_modules_in_order(astronaut, models):
    image, landmarks = astronaut
    add_then_halve = TorchScriptNormalizer(models=f"{models['AddTenth']}+{models['Halve']}", size=64)
    halve_then_add = TorchScriptNormalizer(models=[models["Halve"], models["AddTenth"]], size=64)
    aligned = fn.align_face(image, landmarks, size=64, eye_distance=add_then_halve.eye_distance,
                            eyes_x=EYES_X, eyes_y=EYES_Y)
    x = aligned.image.astype(np.float32) / 255
    expected = np.clip(np.clip(x + 0.1, 0, 1) * 0.5, 0, 1)  # each output clamped, then the next module
    np.testing.assert_allclose(add_then_halve.run_chain(aligned.image), expected, atol=1e-6)
    np.testing.assert_allclose(halve_then_add.run_chain(aligned.image), np.clip(x * 0.5 + 0.1, 0, 1), atol=1e-6)
    # End to end the two orders differ by 0.05 * 255 ~ 13 levels inside the face.
    a, b = add_then_halve.normalize(image, landmarks), halve_then_add.normalize(image, landmarks)
    cx, cy = landmarks[30].astype(int)
    assert int(b.image[cy, cx].astype(int).sum() - a.image[cy, cx].astype(int).sum()) in range(3 * 11, 3 * 15)


def test_tuple_output_uses_its_first_element(astronaut, models):
    image, landmarks = astronaut
    plain = TorchScriptNormalizer(models=models["Invert"], size=64).normalize(image, landmarks)
    extras = TorchScriptNormalizer(models=models["InvertWithExtras"], size=64).normalize(image, landmarks)
    assert np.array_equal(plain.image, extras.image)


def test_bad_image_dtype_raises_input_type_error(astronaut, models):
    image, landmarks = astronaut
    with pytest.raises(InputTypeError):
        TorchScriptNormalizer(models=models["Identity"], size=64).normalize(image.astype(np.float32), landmarks)


def test_missing_model_names_the_path(tmp_path):
    missing = str(tmp_path / "nowhere.pt")
    with pytest.raises(MissingFileError, match="nowhere.pt"):
        TorchScriptNormalizer(models=missing)


@pytest.mark.parametrize("write", [
    lambda p: p.write_bytes(np.random.default_rng(0).bytes(4096)),
    lambda p: torch.save(torch.nn.Linear(3, 3).state_dict(), str(p)),
], ids=["random-bytes", "state-dict"])
def test_file_that_is_not_torchscript_raises_model_error(tmp_path, astronaut, write):
    image, landmarks = astronaut
    path = tmp_path / "not_torchscript.pt"
    write(path)
    normalizer = TorchScriptNormalizer(models=str(path), size=64)
    with pytest.raises(ModelError, match=r"not_torchscript\.pt.*torch\.jit\.save"):
        normalizer.normalize(image, landmarks)


@pytest.mark.parametrize("bad, expected", [
    ("DropsARow", r"shape \(1, 3, 63, 64\); expected \(1, 3, 64, 64\)"),
    ("ReturnsDouble", r"torch\.float64; expected torch\.float32"),
    ("ReturnsNaN", r"NaN"),
])
def test_module_breaking_the_convention_is_named(astronaut, models, bad, expected):
    image, landmarks = astronaut
    normalizer = TorchScriptNormalizer(models=f"{models['Identity']}+{models[bad]}", size=64)
    with pytest.raises(ModelError, match=expected) as error:
        normalizer.normalize(image, landmarks)
    assert models[bad] in str(error.value) and models["Identity"] not in str(error.value)


@pytest.mark.parametrize("options", ["size=abc", "size=32", "blend=soft", "feather=-1", "eye_distance=0", "colour=1"])
def test_bad_options_raise_input_error(models, options):
    with pytest.raises(InputError):
        get_normalizer(f"torchscript:models={models['Identity']},{options}")


def test_registry_builds_it_from_a_spec(astronaut, models):
    image, landmarks = astronaut
    spec = f"torchscript:models={models['AddTenth']}+{models['Halve']},size=64"
    normalizer = get_normalizer(spec)
    assert isinstance(normalizer, TorchScriptNormalizer)
    assert repr(normalizer) == spec
    assert normalizer.models == [models["AddTenth"], models["Halve"]] and normalizer.size == 64
    assert normalizer.normalize(image, landmarks).image.shape == image.shape


def test_modules_are_loaded_once_per_instance(models):
    normalizer = TorchScriptNormalizer(models=models["Identity"], size=64)
    assert normalizer.modules()[0] is normalizer.modules()[0]


def test_deterministic(astronaut, models):
    image, landmarks = astronaut
    spec = f"torchscript:models={models['Invert']}+{models['AddTenth']},size=96"
    first = get_normalizer(spec).normalize(image, landmarks)
    again = get_normalizer(spec).normalize(image, landmarks)
    assert np.array_equal(first.image, again.image)
    assert np.array_equal(first.changed, again.changed)
    assert first.info == again.info
