"""Parsing samples from CelebAMask-HQ folders (images/ and masks/ side by side): each face at
`side` pixels with its labels, and a palsy-like copy whose labels are warped with the face and
whose moved parts become the FPP class."""
import sys

import cv2
import numpy as np

from .._core import InputError
from .labels import FPP, celebamask_mask_path, from_celebamask, read_label_map

__all__ = ["warp_labels", "parsing_samples"]


def warp_labels(labels: np.ndarray, before: np.ndarray, after: np.ndarray, classes: int) -> np.ndarray:
    """Labels moved like the face: each class's mask warped (three at a time as an RGB image) and
    the strongest class kept per pixel."""
    from ..lipsynth.fold_guard import warp_face
    onehot = np.stack([(labels == k).astype(np.uint8) * 255 for k in range(classes)], -1)
    pad = (-classes) % 3
    onehot = np.concatenate([onehot, np.zeros(onehot.shape[:2] + (pad,), np.uint8)], -1)
    warped = np.concatenate([warp_face(np.ascontiguousarray(onehot[..., i:i + 3]), before, after)
                             for i in range(0, onehot.shape[-1], 3)], -1)[..., :classes]
    return np.argmax(warped, -1).astype(np.uint8)


def parsing_samples(image_paths, side: int = 256, palsy_copies: str = "one", seed: int = 0, pipeline=None,
                    progress: bool = True):
    """(images uint8 (N, side, side, 3), labels uint8 (N, side, side), groups list, paths list,
    skipped list). palsy_copies: "one" (a side drawn per face), "both" or "none"."""
    from tqdm import tqdm

    from .._core import read_image
    from ..lipsynth.palsy import palsy_transform
    from ..pipeline import FacePipeline
    from .labels import CLASSES

    if palsy_copies not in ("one", "both", "none"):
        raise InputError(f"palsy copies: expected one, both or none, got '{palsy_copies}'")
    pipeline = pipeline or FacePipeline()
    images, labels, groups, paths, skipped = [], [], [], [], []

    def add(image, lab, group, path):
        images.append(cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA))
        labels.append(cv2.resize(lab, (side, side), interpolation=cv2.INTER_NEAREST))
        groups.append(group)
        paths.append(path)

    for i, path in enumerate(tqdm(list(image_paths), desc="parsing samples", unit="face", file=sys.stderr,
                                  disable=not progress)):
        mpath = celebamask_mask_path(path)
        mask = read_label_map(mpath)
        if mask is None:
            skipped.append((path, f"no mask at {mpath}"))
            continue
        try:
            image = read_image(path)
            lm = pipeline.faces(image)[0].landmarks
        except InputError as e:
            skipped.append((path, str(e)))
            continue
        if mask.shape != image.shape[:2]:
            mask = cv2.resize(mask, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_NEAREST)
        lab = from_celebamask(mask)
        add(image, lab, "normal", path)
        rng = np.random.default_rng([seed, i])
        sides = {"both": ("left", "right"), "one": (("left", "right")[rng.integers(2)],), "none": ()}[palsy_copies]
        for s in sides:
            t = palsy_transform(image, lm, s, float(rng.uniform(0.5, 1.0)))
            moved = warp_labels(lab, t.landmarks_before, t.landmarks_after, len(CLASSES) - 1)
            face_part = np.isin(moved, (1, 3, 4, 5))  # skin, eyebrow, eye, mouth
            moved[(t.region > 0) & face_part] = FPP
            add(t.image, moved, f"palsy-{s}", path)
    if not images:
        raise InputError("parsing samples: no image with a mask and a face (" +
                         "; ".join(f"{p}: {w}" for p, w in skipped[:5]) + ")")
    return np.stack(images), np.stack(labels), groups, paths, skipped
