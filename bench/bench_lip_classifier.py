"""The lip classifier's speed on 2 cores, each figure beside PyTorch-in-Python running the same
network side by side (torchvision's MobileNetV2 / ResNet-34 with the same head):

1. per photo, from the aligned face: statistical normalization, the lip crop pair, Siamese
   forward (target: <= 60 ms in all), for each backbone;
2. batched throughput (pairs per second, batch 32);
3. one training epoch with and without cached features (the frozen prefix computed once);
4. facenorm classify's whole path on a decoded photo with the shipped model (`--parts whole_photo`
   runs only this one).

Workload: CelebAMask-HQ test faces from ../shared/data (aligned as `facenorm lip-dataset` does).

    PYTHONPATH=python /usr/bin/python3 bench/bench_lip_classifier.py
"""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402

import timing  # noqa: E402

import facenorm as fn  # noqa: E402
from facenorm.lipdetect.network import NetworkSettings, build_network  # noqa: E402
from facenorm.nets import _nets  # noqa: E402
from facenorm.normalize import get_normalizer  # noqa: E402

REPEATS = 5
THREADS = 2
BACKBONES = {"mobilenet_v2": 224, "resnet34": 224, "face_resnet": 150}


class TorchSiamese(torch.nn.Module):
    """The same Siamese network in PyTorch (Python): a torchvision trunk, pooled, concatenated, head."""

    def __init__(self, trunk, width):
        super().__init__()
        self.trunk, self.reduce, self.classify = trunk, torch.nn.Linear(2 * width, 256), torch.nn.Linear(256, 2)

    def forward(self, original, normalized):
        pooled = self.trunk(torch.cat([original, normalized])).mean((2, 3))
        return self.classify(torch.relu(self.reduce(torch.cat(pooled.chunk(2), 1))))


def torch_reference(kind):
    if kind == "mobilenet_v2":
        return TorchSiamese(torchvision.models.mobilenet_v2().features, 1280).eval()
    if kind == "resnet34":
        r = torchvision.models.resnet34()
        return TorchSiamese(torch.nn.Sequential(*list(r.children())[:-2]), 512).eval()
    return None  # dlib's face ResNet has no torchvision twin


def aligned_faces(n=4):
    paths = sorted(str(p) for p in (ROOT.parent / "shared/data/celebamask/test/images").glob("*.jpg"))[:n]
    if not paths:
        sys.exit("needs ../shared/data/celebamask/test/images")
    pipeline = fn.FacePipeline()
    out = []
    for p in paths:
        image = fn.read_image(p)
        a = fn.align_face(image, pipeline.faces(image)[0].landmarks, size=512, eye_distance=100.0)
        out.append((a.image, a.landmarks))
    return out


def per_photo(faces):
    normalizer = get_normalizer("statistical")
    print("1. per photo (aligned 512 px face -> statistical normalization -> lip crops -> Siamese), "
          f"{THREADS} threads, median of {REPEATS} x {len(faces)}")

    def crop_pair(image, landmarks):
        normalized = normalizer.normalize(image, landmarks).image
        return (fn.crop_region(image, landmarks, "lip", size=224, margin=0.15).image,
                fn.crop_region(normalized, landmarks, "lip", size=224, margin=0.15).image)

    pairs = [crop_pair(*f) for f in faces]
    prep = timing.median_ms(crop_pair, faces, REPEATS)
    print(f"   normalization + crops: {prep:.1f} ms")
    for kind, side in BACKBONES.items():
        net = build_network(NetworkSettings(backbone=kind, input_side=side))
        net.eval()
        tensors = [tuple(torch.from_numpy(np.ascontiguousarray(c)).permute(2, 0, 1)[None].float()
                         for c in (fn_resize(o, side), fn_resize(n, side))) for o, n in pairs]
        with torch.no_grad():
            ours = timing.median_ms(lambda o, n: net(o, n), tensors, REPEATS)
            ref_net = torch_reference(kind)
            ref = timing.median_ms(lambda o, n: ref_net(o / 255, n / 255), tensors, REPEATS) if ref_net else None
        total = prep + ours
        verdict = "meets" if total <= 60 else "misses"
        ref_text = f"PyTorch-in-Python {ref:.1f} ms ({ref / ours:.2f}x)" if ref else "no torchvision twin"
        print(f"   {kind:>12} at {side}: network {ours:.1f} ms | {ref_text} | whole photo {total:.1f} ms "
              f"({verdict} <= 60 ms)")


def whole_photo():
    """facenorm classify's path on decoded photos: detect, landmarks, align, normalize, crops,
    Siamese (the shipped model), i.e. everything but reading the file."""
    from facenorm.lipdetect.classify import PhotoClassifier

    model = ROOT / "models" / "lip_classifier"
    if not (model / "model.json").is_file():
        print("4. whole photo: models/lip_classifier missing, skipped")
        return
    classifier = PhotoClassifier(model)
    paths = ["/usr/lib/python3/dist-packages/skimage/data/astronaut.png"] + sorted(
        str(p) for p in (ROOT.parent / "shared/data/celebamask/test/images").glob("*.jpg"))[:3]
    images = [(fn.read_image(p),) for p in paths]
    ms = timing.median_ms(classifier.classify_image, images, REPEATS)
    print(f"4. whole photo (detect, landmarks, align, statistical, crops, shipped Siamese), 512 px photos: "
          f"{ms:.1f} ms (DESIGN's budget for a whole appraisal: 100 ms)")


def fn_resize(crop, side):
    import cv2
    return crop if crop.shape[0] == side else cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)


def throughput():
    print("2. batched throughput, batch 32 pairs (pairs per second)")
    for kind, side in BACKBONES.items():
        net = build_network(NetworkSettings(backbone=kind, input_side=side))
        net.eval()
        x = torch.rand(32, 3, side, side) * 255
        ref_net = torch_reference(kind)
        with torch.no_grad():
            ours = timing.median_ms(lambda: net(x, x), [()], 3)
            ref = timing.median_ms(lambda: ref_net(x / 255, x / 255), [()], 3) if ref_net else None
        ref_text = f"PyTorch-in-Python {32000 / ref:.0f}/s" if ref else "no torchvision twin"
        print(f"   {kind:>12} at {side}: {32000 / ours:.0f}/s | {ref_text}")


def epoch_times(n=160):
    """One epoch on n random-content pairs of 224 px: fine-tuning the last K layers."""
    print(f"3. one training epoch, {n} pairs, batch 16: full path vs cached features (+ feature caching, once)")
    images = torch.randint(0, 256, (n, 224, 224, 3), dtype=torch.uint8)
    labels = torch.arange(n) % 2
    for kind, k in (("mobilenet_v2", 98), ("resnet34", 4), ("resnet34", 0)):
        net = build_network(NetworkSettings(backbone=kind, trainable_layers=k, input_side=224))
        trainer = _nets.LipTrainer(net, 1e-4)
        started = time.perf_counter()
        trainer.epoch(images, images, labels, 16, 0, True)
        full = time.perf_counter() - started
        started = time.perf_counter()
        feats = torch.stack([_nets.lip_cache_features(net, images, False), _nets.lip_cache_features(net, images, True)], 1)
        caching = time.perf_counter() - started
        started = time.perf_counter()
        trainer.epoch(feats, feats, labels, 16, 0, True)
        cached = time.perf_counter() - started
        print(f"   {kind} K={k} (cache block {net.cache_block}): full {full:.2f} s, cached {cached:.3f} s "
              f"({full / cached:.0f}x faster per epoch); caching both branches' features once: {caching:.2f} s")
    tv = torchvision.models.mobilenet_v2()
    trunk = TorchSiamese(tv.features, 1280)
    leaves = [m for m in tv.features.modules() if not list(m.children())]
    for m in leaves[:len(leaves) - 98]:
        for p in m.parameters():
            p.requires_grad_(False)
        m.eval()
    opt = torch.optim.Adam([p for p in trunk.parameters() if p.requires_grad], 1e-4)
    x = images.permute(0, 3, 1, 2).float() / 255
    started = time.perf_counter()
    for i in range(0, n, 16):
        loss = torch.nn.functional.cross_entropy(trunk(x[i:i + 16], x[i:i + 16].flip(3)), labels[i:i + 16])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"   PyTorch-in-Python, torchvision MobileNetV2 K=98, full path: {time.perf_counter() - started:.2f} s")


PARTS = ("per_photo", "throughput", "epoch_times", "whole_photo")


def main(argv=None):
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)} (default: all)")
    parts = p.parse_args(argv).parts.split(",")
    torch.set_num_threads(THREADS)
    print(f"torch {torch.__version__}, {THREADS} threads")
    if "per_photo" in parts:
        per_photo(aligned_faces())
    if "throughput" in parts:
        throughput()
    if "epoch_times" in parts:
        epoch_times()
    if "whole_photo" in parts:
        whole_photo()


if __name__ == "__main__":
    main()
