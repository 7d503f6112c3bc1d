"""dlib's ResNets imported into libtorch (checked against dlib's own forward pass), the
deep-feature distance built on them, and the loader for user-exported TorchScript LPIPS."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

import facenorm as fn  # noqa: E402
from facenorm import models  # noqa: E402
from facenorm.nets import _nets  # noqa: E402
from facenorm.score.deep_features import DeepFeatureDistance  # noqa: E402
from facenorm.score.lpips_torchscript import TorchScriptLPIPS  # noqa: E402

IMAGENET = "resnet34_1000_imagenet_classifier"
FACE = "dlib_face_recognition_resnet_model_v1"
# Measured on 10 CelebA faces and the astronaut at 4 sizes: |libtorch - dlib| <= 3.6e-6 of the
# largest |value| of every compared activation, logits within 1.4e-5 (1.6e-6 of the peak logit).
# The bound leaves about a factor 3 for other CPUs and BLAS builds.
RELATIVE_TOLERANCE = 1e-5


def model_path(name: str) -> str:
    try:
        return str(models.resolve(name))
    except fn.ModelError as e:
        pytest.skip(f"model {name} not available (fetch with: python -m facenorm fetch-models): {e}")


@pytest.fixture(scope="module")
def imagenet_path() -> str:
    return model_path(IMAGENET)


@pytest.fixture(scope="module")
def imagenet_net(imagenet_path):
    return _nets.load_dlib_resnet34(imagenet_path)


def resized(image: np.ndarray, height: int, width: int) -> np.ndarray:
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float()
    x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False, antialias=True)
    return x[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()


def as_input(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) in 0-255, what the libtorch module takes."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float()


def assert_close_to_dlib(net, reference, images: np.ndarray, path: str):
    ref_out, ref_features = reference(path, images)  # NumPy in; tensors are accepted as well
    with torch.no_grad():
        features = net.features(as_input(images))
        out = net.head(features[-1])
    assert len(features) == len(ref_features) == len(net.feature_names)
    for name, ours, theirs in zip(net.feature_names, features, ref_features):
        assert ours.shape == theirs.shape, name
        assert (ours - theirs).abs().max() <= RELATIVE_TOLERANCE * theirs.abs().max(), name
    assert out.shape == ref_out.shape
    assert (out - ref_out).abs().max() <= RELATIVE_TOLERANCE * ref_out.abs().max()
    return out, ref_out


def test_resnet34_logits_match_dlib_on_real_faces(imagenet_net, imagenet_path, celeba_images):
    faces = np.stack([resized(fn.read_image(p), 227, 227) for p in celeba_images[:3]])
    ours, dlib_logits = assert_close_to_dlib(imagenet_net, _nets.dlib_resnet34_reference, faces, imagenet_path)
    assert torch.equal(ours.argmax(1), dlib_logits.argmax(1))
    torch.testing.assert_close(_nets.dlib_resnet34_reference_logits(imagenet_path, torch.from_numpy(faces[0])),
                               dlib_logits[:1])


@pytest.mark.parametrize("size", [(227, 227), (256, 256), (240, 199)])
def test_resnet34_matches_dlib_on_astronaut(imagenet_net, imagenet_path, astronaut_path, size):
    """227x227 passes dlib's own input layer. Other sizes run dlib's layers above it: even sides
    exercise add_prev's zero padding (the stride-2 block is a row shorter than its shortcut)."""
    image = resized(fn.read_image(astronaut_path), *size)[None]
    ours, dlib_logits = assert_close_to_dlib(imagenet_net, _nets.dlib_resnet34_reference, image, imagenet_path)
    assert ours.argmax().item() == dlib_logits.argmax().item()


def test_resnet34_structure(imagenet_net):
    assert imagenet_net.feature_names == ["stem", "stage1", "stage2", "stage3", "stage4"]
    assert imagenet_net.outputs == 1000 and len(imagenet_net.labels) == 1000
    assert imagenet_net.mean_rgb.flatten().tolist() == pytest.approx([122.782, 117.001, 104.298], abs=1e-4)
    shapes = [tuple(f.shape) for f in imagenet_net.features(torch.zeros(1, 3, 227, 227))]
    assert shapes == [(1, 64, 111, 111), (1, 64, 55, 55), (1, 128, 27, 27), (1, 256, 13, 13), (1, 512, 6, 6)]
    assert len(imagenet_net.features(torch.zeros(1, 3, 64, 64), 2)) == 2
    assert not any(p.requires_grad for p in imagenet_net.parameters())
    # conv weight + bias and affine gamma + beta for the stem and 16 blocks x 2, then fc weight + bias
    assert len(imagenet_net.parameters()) == 4 * (1 + 2 * 16) + 2


def test_parameters_can_be_unfrozen_for_fine_tuning(imagenet_path):
    net = _nets.load_dlib_resnet34(imagenet_path)  # a private copy: the shared one stays frozen
    assert net.requires_grad_(True) is net
    net.logits(torch.full((1, 3, 64, 64), 100.0)).max().backward()
    grads = net.named_parameters()
    assert set(grads) >= {"stem_conv.weight", "stage1.0.affine1.gamma", "fc.weight"}
    assert grads["fc.weight"].grad.abs().sum() > 0 and grads["stem_conv.weight"].grad.abs().sum() > 0


def test_face_resnet_matches_dlib(astronaut_path):
    path = model_path(FACE)
    net = _nets.load_dlib_face_resnet(path)
    assert net.outputs == 128 and net.feature_names[-1] == "stage5"
    chip = resized(fn.read_image(astronaut_path)[30:230, 150:350], 150, 150)[None]
    assert_close_to_dlib(net, _nets.dlib_face_resnet_reference, chip, path)


def test_wrong_or_missing_files_are_model_errors(imagenet_path, tmp_path):
    garbage = tmp_path / "garbage.dnn"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(fn.ModelError, match="not dlib's ResNet-34 ImageNet classifier"):
        _nets.load_dlib_resnet34(str(garbage))
    with pytest.raises(fn.ModelError, match="not dlib's face recognition ResNet"):
        _nets.load_dlib_face_resnet(imagenet_path)
    try:
        face_path = str(models.resolve(FACE))
    except fn.ModelError:
        face_path = None
    if face_path:
        with pytest.raises(fn.ModelError, match="not dlib's ResNet-34"):
            _nets.load_dlib_resnet34(face_path)
    with pytest.raises(fn.MissingFileError, match="missing.dnn"):
        _nets.load_dlib_resnet34(str(tmp_path / "missing.dnn"))


def test_bad_network_inputs(imagenet_net):
    with pytest.raises(fn.InputTypeError, match="float"):
        imagenet_net.features(torch.zeros(1, 3, 64, 64, dtype=torch.uint8))
    with pytest.raises(fn.InputError, match=r"\(N, 3, H, W\)"):
        imagenet_net.forward(torch.zeros(1, 4, 64, 64))
    with pytest.raises(fn.InputError, match="too small"):
        imagenet_net.forward(torch.zeros(1, 3, 54, 200))
    with pytest.raises(fn.InputTypeError, match="uint8"):
        _nets.dlib_resnet34_reference_logits("unused.dnn", np.zeros((227, 227, 3), np.float32))
    with pytest.raises(fn.InputError, match="unknown layer 'stage9'"):
        _nets.deep_feature_distance(imagenet_net, torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 64), ["stage9"])


# ---- the deep-feature distance ----

@pytest.fixture(scope="module")
def face_256(celeba_images, imagenet_path) -> np.ndarray:
    return resized(fn.read_image(celeba_images[0]), 256, 256)


PATCH = (slice(156, 196), slice(108, 148))  # 40x40 around the mouth of an aligned CelebA-HQ face


def perturbed(image: np.ndarray, strength: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, strength, image[PATCH].shape)
    out = image.copy()
    out[PATCH] = np.clip(image[PATCH].astype(np.float64) + noise, 0, 255).round().astype(np.uint8)
    return out


def test_identical_images_give_an_exactly_zero_map(face_256):
    heat = DeepFeatureDistance().heatmap(face_256, face_256.copy())
    assert heat.dtype == np.float32 and heat.shape == (256, 256)
    assert not heat.any()


def test_map_peaks_inside_a_perturbed_patch(face_256):
    heat = DeepFeatureDistance().heatmap(face_256, perturbed(face_256, 40.0))
    row, col = np.unravel_index(np.argmax(heat), heat.shape)
    assert PATCH[0].start <= row < PATCH[0].stop and PATCH[1].start <= col < PATCH[1].stop
    outside = np.ones(heat.shape, bool)
    outside[PATCH[0].start - 32:PATCH[0].stop + 32, PATCH[1].start - 32:PATCH[1].stop + 32] = False
    assert heat[PATCH].mean() > 20 * heat[outside].mean()


def test_map_grows_with_perturbation_strength(face_256):
    distance = DeepFeatureDistance()
    means = [distance.heatmap(face_256, perturbed(face_256, s))[PATCH].mean() for s in (4.0, 16.0, 48.0)]
    assert 0 < means[0] < means[1] < means[2]


def test_downscaled_map_has_the_input_size_and_agrees(face_256):
    changed = perturbed(face_256, 40.0)
    full = DeepFeatureDistance().heatmap(face_256, changed)
    small = DeepFeatureDistance(max_side=128).heatmap(face_256, changed)
    assert small.shape == (256, 256) and small.dtype == np.float32
    assert np.corrcoef(full.ravel(), small.ravel())[0, 1] > 0.7


def test_gradients_flow_to_the_input(face_256):
    distance = DeepFeatureDistance()
    target = as_input(face_256[None])
    x = as_input(perturbed(face_256, 20.0)[None]).requires_grad_(True)
    loss = distance.distance_map(x, target).mean()
    loss.backward()
    assert loss.item() > 0
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    # A black image has all-zero feature vectors after relus: still finite gradients.
    black = torch.zeros(1, 3, 64, 64, requires_grad=True)
    distance.distance_map(black, torch.full((1, 3, 64, 64), 128.0)).mean().backward()
    assert torch.isfinite(black.grad).all()


def test_distance_map_matches_a_python_reference(imagenet_net, face_256):
    """The C++ map equals the formula written in plain torch ops on the module's features."""
    x, y = as_input(face_256[None]), as_input(perturbed(face_256, 30.0)[None])
    layers = ["stem", "stage2", "stage4"]
    with torch.no_grad():
        got = _nets.deep_feature_distance(imagenet_net, x, y, layers)
        fx, fy = imagenet_net.features(x), imagenet_net.features(y)
        maps = []
        for i in (0, 2, 4):
            nx = fx[i] / (fx[i].pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            ny = fy[i] / (fy[i].pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            d = (nx - ny).pow(2).mean(1, keepdim=True)
            maps.append(F.interpolate(d, size=(256, 256), mode="bilinear", align_corners=False))
        want = sum(maps) / 3
    assert got.shape == (1, 1, 256, 256)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-7)


def test_heatmap_input_errors(face_256):
    distance = DeepFeatureDistance()
    with pytest.raises(fn.InputError, match="differ in shape"):
        distance.heatmap(face_256, face_256[:128])
    with pytest.raises(fn.InputTypeError, match="uint8"):
        distance.heatmap(face_256.astype(np.float32), face_256)
    with pytest.raises(fn.InputError, match=r"\(H, W, 3\)"):
        distance.heatmap(face_256[:, :, 0], face_256[:, :, 0])
    with pytest.raises(fn.InputError, match="too small"):
        distance.heatmap(face_256[:40, :40], face_256[:40, :40])
    with pytest.raises(fn.InputError, match="max_side"):
        DeepFeatureDistance(max_side=0)
    with pytest.raises(fn.InputError, match="unknown layer"):
        DeepFeatureDistance(layers=["conv9"]).heatmap(face_256, face_256)
    with pytest.raises(fn.ModelError, match="unsupported model"):
        DeepFeatureDistance(model="vgg16")


# ---- user-supplied TorchScript LPIPS ----

class TinySpatialLPIPS(torch.nn.Module):
    """Follows the convention: [-1, 1] inputs, a (N, 1, h, w) map at a quarter of the size."""

    def forward(self, x0, x1):
        return F.avg_pool2d((x0 - x1).pow(2).mean(1, keepdim=True), 4)


class TinyScalarLPIPS(torch.nn.Module):
    """What LPIPS exported without spatial=True returns: one value per image."""

    def forward(self, x0, x1):
        return (x0 - x1).pow(2).mean(dim=(1, 2, 3), keepdim=True)


def save_scripted(module, path):
    torch.jit.script(module).save(str(path))
    return path


def test_torchscript_lpips_map(tmp_path, face_256):
    lpips = TorchScriptLPIPS(save_scripted(TinySpatialLPIPS(), tmp_path / "lpips.pt"))
    changed = perturbed(face_256, 40.0)
    heat = lpips.heatmap(face_256, changed)
    assert heat.dtype == np.float32 and heat.shape == (256, 256)
    x0 = torch.from_numpy(face_256).permute(2, 0, 1)[None].float() / 127.5 - 1
    x1 = torch.from_numpy(changed).permute(2, 0, 1)[None].float() / 127.5 - 1
    want = F.interpolate(F.avg_pool2d((x0 - x1).pow(2).mean(1, keepdim=True), 4), size=(256, 256),
                         mode="bilinear", align_corners=False)[0, 0].numpy()
    np.testing.assert_allclose(heat, want, rtol=1e-5, atol=1e-7)
    row, col = np.unravel_index(np.argmax(heat), heat.shape)
    assert PATCH[0].start <= row < PATCH[0].stop and PATCH[1].start <= col < PATCH[1].stop
    assert not lpips.heatmap(face_256, face_256).any()


def test_torchscript_lpips_scalar_output_is_refused(tmp_path, face_256):
    lpips = TorchScriptLPIPS(save_scripted(TinyScalarLPIPS(), tmp_path / "scalar.pt"))
    with pytest.raises(fn.ModelError, match="spatial=True"):
        lpips.heatmap(face_256, face_256)


def test_torchscript_lpips_bad_files(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a TorchScript archive" * 10)
    with pytest.raises(fn.ModelError, match="garbage.pt"):
        TorchScriptLPIPS(garbage)
    with pytest.raises(fn.MissingFileError, match="absent.pt"):
        TorchScriptLPIPS(tmp_path / "absent.pt")
