"""The lip-abnormality networks (ICMI 2024 §3.3) in libtorch: MobileNetV2 against torchvision,
shapes and gradients of every backbone, partial fine-tuning, cached features against the
uncached path, CAM, the torchvision state-dict loader."""
import numpy as np
import pytest
import torch

import facenorm.nets  # noqa: F401  (checks the libtorch versions, loads _nets)
from facenorm import InputError, ModelError
from facenorm import _nets
from facenorm.lipdetect.network import NetworkSettings, build_network, load_torchvision_mobilenet_v2
from facenorm.models import resolve

torchvision = pytest.importorskip("torchvision")


def dlib_file(name):
    try:
        return str(resolve(name))
    except Exception as e:  # not fetched: `facenorm fetch-models`
        pytest.skip(f"{name} not available ({e})")


def backbone_weights(kind):
    return {"resnet34": lambda: dlib_file("resnet34_1000_imagenet_classifier"),
            "face_resnet": lambda: dlib_file("dlib_face_recognition_resnet_model_v1")}.get(kind, lambda: "")()


def randomized_torchvision_mobilenet(seed=0):
    """torchvision's MobileNetV2 with random batch-norm statistics, so every layer matters."""
    torch.manual_seed(seed)
    tv = torchvision.models.mobilenet_v2()
    with torch.no_grad():
        for m in tv.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return tv.eval()


def test_mobilenet_v2_has_torchvision_names_and_outputs():
    tv = randomized_torchvision_mobilenet()
    ours = _nets.MobileNetV2()
    assert set(ours.state_dict()) == set(tv.state_dict())
    missing, unexpected = ours.load_state_dict(tv.state_dict())
    assert missing == [] and unexpected == []
    ours.eval()
    x = torch.randn(2, 3, 160, 160)
    with torch.no_grad():
        expected, got = tv(x), ours(x)
    assert expected.abs().max() > 1e-3
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())
    # The paper's 156 Keras layers are 139 leaf layers in torchvision's tree (ReLU6 counted).
    assert ours.layer_count == 139


def test_torchvision_state_dict_loader(tmp_path):
    tv = randomized_torchvision_mobilenet(1)
    path = tmp_path / "mobilenet_v2.pth"
    torch.save(tv.state_dict(), path)
    net = build_network(NetworkSettings(backbone="mobilenet_v2", torchvision_weights=str(path)))
    state = net.state_dict()
    for name, value in tv.state_dict().items():
        if name.startswith("features."):
            assert torch.equal(state["backbone." + name], value), name
    torch.save({"conv.weight": torch.zeros(3)}, tmp_path / "other.pth")
    with pytest.raises(ModelError, match="features"):
        load_torchvision_mobilenet_v2(net, str(tmp_path / "other.pth"))
    bad = tv.state_dict()
    bad["features.0.0.weight"] = torch.zeros(8, 3, 3, 3)
    torch.save(bad, tmp_path / "wrong_shape.pth")
    before = net.state_dict()["backbone.features.1.conv.0.0.weight"].clone()
    with pytest.raises(ModelError, match="expected shape"):
        load_torchvision_mobilenet_v2(net, str(tmp_path / "wrong_shape.pth"))
    assert torch.equal(net.state_dict()["backbone.features.1.conv.0.0.weight"], before)  # left unchanged
    (tmp_path / "junk.pth").write_bytes(b"not a pickle")
    with pytest.raises(ModelError):
        load_torchvision_mobilenet_v2(net, str(tmp_path / "junk.pth"))
    with pytest.raises(InputError, match="mobilenet_v2"):
        NetworkSettings(backbone="simple_cnn", torchvision_weights=str(path)).resolved()


@pytest.mark.parametrize("kind,side", [("mobilenet_v2", 96), ("simple_cnn", 64), ("resnet34", 96),
                                       ("face_resnet", 112)])
@pytest.mark.parametrize("siamese", [True, False])
def test_shapes_and_gradients(kind, side, siamese):
    net = _nets.LipClassifier(kind, siamese, 256, backbone_weights(kind), 0)
    net.set_trainable_layers(-1)
    net.train()
    x = torch.rand(2, 3, side, side) * 255
    logits = net(x, x.flip(3) if siamese else None)
    assert logits.shape == (2, 2)
    logits.sum().backward()
    grads = {k: p.grad for k, p in net.named_parameters().items()}
    assert grads["reduce.weight"].shape == (256, net.embedding_size * (2 if siamese else 1))
    assert grads["classify.weight"].abs().sum() > 0
    trained = [k for k, g in grads.items() if k.startswith("backbone.") and g is not None and g.abs().sum() > 0]
    assert len(trained) > 10


def test_partial_fine_tuning_freezes_the_prefix_and_its_batch_norms():
    net = _nets.LipClassifier("mobilenet_v2", True, 256, "", 0)
    net.set_trainable_layers(98)
    counts = net.block_layer_counts()
    first_trainable = sum(counts) - 98           # leaf 41: inside features.6
    assert np.searchsorted(np.cumsum(counts), first_trainable, side="right") == net.cache_block == 6
    params = net.named_parameters()
    assert not params["backbone.features.5.conv.0.0.weight"].requires_grad
    assert not params["backbone.features.6.conv.0.0.weight"].requires_grad       # leaf 40
    assert params["backbone.features.6.conv.0.1.weight"].requires_grad          # leaf 41
    assert params["classify.weight"].requires_grad
    # A training epoch leaves the frozen batch norms' statistics alone, and moves the others.
    before = {k: v.clone() for k, v in net.state_dict().items() if "running_mean" in k}
    trainer = _nets.LipTrainer(net, 1e-3)
    images = torch.randint(0, 256, (4, 64, 64, 3), dtype=torch.uint8)
    trainer.epoch(images, images.flip(2), torch.tensor([0, 1, 0, 1]), 2, 0, True)
    after = net.state_dict()
    assert torch.equal(after["backbone.features.5.conv.1.1.running_mean"], before["backbone.features.5.conv.1.1.running_mean"])
    assert not torch.equal(after["backbone.features.7.conv.1.1.running_mean"], before["backbone.features.7.conv.1.1.running_mean"])
    with pytest.raises(InputError, match="labels"):
        trainer.epoch(images, images, torch.tensor([0, 1, 2, 1]), 2, 0, True)
    with pytest.raises(InputError, match="normalized"):
        trainer.epoch(images, images[:, :32], torch.tensor([0, 1, 0, 1]), 2, 0, True)


@pytest.mark.parametrize("kind,k", [("mobilenet_v2", 98), ("resnet34", 8), ("resnet34", 0)])
def test_cached_features_give_the_uncached_logits(kind, k):
    net = _nets.LipClassifier(kind, True, 256, backbone_weights(kind), 3)
    net.set_trainable_layers(k)
    net.eval()
    images = torch.randint(0, 256, (3, 96, 96, 3), dtype=torch.uint8)
    normalized = images.flip(1)
    direct = net(images.permute(0, 3, 1, 2).float(), normalized.permute(0, 3, 1, 2).float())
    cached = [torch.stack([_nets.lip_cache_features(net, x, False), _nets.lip_cache_features(net, x, True)], 1)
              for x in (images, normalized)]
    assert cached[0].dtype == torch.float16 and cached[0].shape[1] == 2
    from_cache = net(cached[0][:, 0].float(), cached[1][:, 0].float(), net.cache_block)
    assert torch.allclose(from_cache, direct, atol=2e-2 * max(1.0, direct.abs().max().item()))
    labels = torch.tensor([0, 1, 1])
    a = _nets.evaluate_lip_classifier(net, images, normalized, labels)
    b = _nets.evaluate_lip_classifier(net, cached[0], cached[1], labels)
    assert abs(a["loss"] - b["loss"]) < 2e-2 and torch.allclose(a["p_abnormal"], b["p_abnormal"], atol=1e-2)
    # The mirrored variant is the features of the mirrored crops.
    mirrored = _nets.lip_cache_features(net, images.flip(2), False)
    assert torch.allclose(cached[0][:, 1].float(), mirrored.float(), atol=1e-3)


@pytest.mark.parametrize("kind", ["simple_cnn", "resnet34"])
def test_cam_decomposes_the_abnormal_logit(kind):
    net = _nets.LipClassifier(kind, True, 256, backbone_weights(kind), 1)
    # Zero biases: then the abnormal-minus-normal logit is exactly the CAMs' spatial mean, summed.
    net.load_state_dict({"reduce.bias": torch.zeros(256), "classify.bias": torch.zeros(2)}, strict=False)
    net.eval()
    x = torch.rand(2, 3, 96, 96) * 255
    logits, maps = net.class_activation_maps(x, x.flip(3))
    assert maps.shape[:2] == (2, 2)
    assert torch.allclose(logits, net(x, x.flip(3)), atol=1e-4)
    assert torch.allclose(maps.mean((2, 3)).sum(1), logits[:, 1] - logits[:, 0], atol=1e-4)


def test_bad_network_arguments():
    with pytest.raises(ModelError, match="expected mobilenet_v2"):
        _nets.LipClassifier("vgg", True, 256, "", 0)
    with pytest.raises(ModelError, match="resnet34_1000_imagenet_classifier.dnn"):
        _nets.LipClassifier("resnet34", True, 256, "", 0)
    net = _nets.LipClassifier("simple_cnn", True, 256, "", 0)
    with pytest.raises(InputError, match="normalized crop"):
        net(torch.rand(1, 3, 64, 64))
    with pytest.raises(InputError, match="RGB"):
        net(torch.rand(1, 4, 64, 64), torch.rand(1, 4, 64, 64))
    with pytest.raises(InputError, match="uint8"):
        _nets.lip_cache_features(net, torch.rand(2, 64, 64, 3))
    with pytest.raises(InputError, match="backbone"):
        NetworkSettings(backbone="alexnet").resolved()
