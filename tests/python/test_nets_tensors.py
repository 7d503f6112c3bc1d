"""Tensors cross pybind11 into the C++ libtorch and back (same Debian build on both sides)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import facenorm as fn  # noqa: E402
from facenorm import nets  # noqa: E402


def reference_to_tensor(images, mean, std):
    x = torch.from_numpy(images.astype(np.float32) / 255.0).permute(0, 3, 1, 2)
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def test_cpp_libtorch_is_pythons_torch():
    assert nets._nets.torch_version.split(".")[:2] == torch.__version__.split(".")[:2]


def test_images_to_tensor_matches_pytorch_reference(celeba_images, pipeline):
    image = fn.read_image(celeba_images[0])
    face = pipeline.faces(image)[0]
    crops = np.stack([fn.crop_region(image, face.landmarks, r, 224).image for r in ("lip", "mouth")])
    got = nets.images_to_tensor(crops)
    assert got.dtype == torch.float32 and tuple(got.shape) == (2, 3, 224, 224) and got.is_contiguous()
    ref = reference_to_tensor(crops, nets.IMAGENET_MEAN, nets.IMAGENET_STD)
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)
    np.testing.assert_array_equal(nets.tensor_to_images(got), crops)  # exact round trip
    single = nets.images_to_tensor(crops[0])
    assert tuple(single.shape) == (1, 3, 224, 224)


def test_bad_tensors_get_facenorm_errors():
    with pytest.raises(fn.InputTypeError, match="uint8"):
        nets.images_to_tensor(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(fn.InputTypeError, match="uint8"):
        nets._nets.images_to_tensor(torch.zeros(8, 8, 3), (0.5,) * 3, (0.5,) * 3)
    with pytest.raises(fn.InputError, match=r"expected shape \(N, H, W, 3\)"):
        nets.images_to_tensor(np.zeros((8, 8, 4), np.uint8))
    with pytest.raises(fn.InputError, match="positive"):
        nets.images_to_tensor(np.zeros((8, 8, 3), np.uint8), std=(1, 0, 1))
    with pytest.raises(fn.InputError, match=r"\(N, 3, H, W\)"):
        nets.tensor_to_images(torch.zeros(1, 4, 8, 8))


def test_core_errors_keep_their_classes_once_nets_is_loaded(tmp_path):
    """pybind11 translators are global unless local: _nets must not shadow _core's classes."""
    with pytest.raises(fn.MissingFileError):
        fn.read_image(str(tmp_path / "missing.jpg"))
