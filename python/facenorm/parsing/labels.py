"""The parsing classes (the stroke/Bell's palsy paper's six plus background) and their source in
CelebAMask-HQ's 19 labels (../shared/data/README.md). Nose and ears are skin; neck, clothes,
eyeglasses, hats and jewellery are background (they are not the face's parts). FPP, the
facial-paralysis-possibility region, is where the palsy-like transform moved a face part
(facenorm.lipsynth.palsy: `region`), drawn over the part it covers."""
import os

import numpy as np

from .._core import InputError

__all__ = ["CLASSES", "FPP", "COLOURS", "from_celebamask", "colourize", "overlay", "celebamask_mask_path",
           "read_label_map"]

CLASSES = ("background", "skin", "hair", "eyebrow", "eye", "mouth", "fpp")
FPP = CLASSES.index("fpp")
COLOURS = np.array([(0, 0, 0), (230, 180, 150), (90, 60, 30), (60, 200, 60), (40, 120, 255), (220, 30, 60),
                    (255, 230, 0)], np.uint8)

_CELEBAMASK = np.zeros(256, np.uint8)
for ids, cls in (((1, 2, 8, 9), "skin"), ((13,), "hair"), ((6, 7), "eyebrow"), ((4, 5), "eye"),
                 ((10, 11, 12), "mouth")):
    _CELEBAMASK[list(ids)] = CLASSES.index(cls)


def from_celebamask(mask: np.ndarray) -> np.ndarray:
    """uint8 (H, W) CelebAMask-HQ class ids -> uint8 (H, W) parsing classes."""
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.dtype != np.uint8:
        raise InputError(f"mask: expected a uint8 (H, W) label map, got {mask.dtype} {mask.shape}")
    if mask.max(initial=0) > 18:
        raise InputError(f"mask: CelebAMask-HQ ids are 0-18, got {int(mask.max())}")
    return _CELEBAMASK[mask]


def colourize(labels: np.ndarray) -> np.ndarray:
    return COLOURS[np.clip(labels, 0, len(COLOURS) - 1)]


def overlay(image: np.ndarray, labels: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The image with the classes painted over it (background left as it is)."""
    out = image.astype(np.float32)
    paint = labels > 0
    out[paint] = (1 - alpha) * out[paint] + alpha * colourize(labels)[paint]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def celebamask_mask_path(image_path) -> str:
    """celebamask/<split>/images/<stem>.jpg -> celebamask/<split>/masks/<stem>.png"""
    folder, name = os.path.split(os.fspath(image_path))
    return os.path.join(os.path.dirname(folder), "masks", os.path.splitext(name)[0] + ".png")


def read_label_map(path, shape=None):
    """uint8 (H, W) class ids of a label PNG (palette or grayscale: the index is the id; OpenCV
    would return the palette's colours), resized with nearest to `shape` (H, W) when given;
    None if the file is missing."""
    import cv2
    from PIL import Image

    if not os.path.isfile(os.fspath(path)):
        return None
    try:
        with Image.open(path) as im:
            if im.mode not in ("P", "L"):
                raise InputError(f"{path}: expected a palette or grayscale label PNG, got mode {im.mode}")
            labels = np.array(im, np.uint8)
    except OSError as e:
        raise InputError(f"{path}: cannot read the label map ({e})") from None
    if shape is not None and labels.shape != tuple(shape[:2]):
        labels = cv2.resize(labels, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return labels
