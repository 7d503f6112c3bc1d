"""An independent check of landmarks on CelebAMask-HQ faces, whose only landmarks are dlib's own:
the share of points that land on the face part they name in the hand-drawn parsing masks
(../shared/data/README.md class ids). A point counts when its part's mask, dilated by `tolerance`
pixels, covers it. The jaw (0-16) lies on the face's outline and is left out.
"""
import cv2
import numpy as np

__all__ = ["PARTS", "part_hits"]

PARTS = {  # iBUG indices -> CelebAMask class ids
    "brows": (range(17, 27), (6, 7)),
    "nose": (range(27, 36), (2,)),
    "eyes": (range(36, 48), (4, 5)),
    "mouth": (range(48, 68), (10, 11, 12)),
}


def part_hits(points: np.ndarray, labels: np.ndarray, tolerance: int = 2) -> dict:
    """{part: share of its points inside its dilated mask} for one face."""
    kernel = np.ones((2 * tolerance + 1, 2 * tolerance + 1), np.uint8)
    h, w = labels.shape
    out = {}
    for part, (index, classes) in PARTS.items():
        mask = cv2.dilate(np.isin(labels, classes).astype(np.uint8), kernel)
        p = np.round(points[list(index)]).astype(int)
        inside = (p[:, 0] >= 0) & (p[:, 0] < w) & (p[:, 1] >= 0) & (p[:, 1] < h)
        hit = np.zeros(len(p), bool)
        hit[inside] = mask[p[inside, 1], p[inside, 0]] > 0
        out[part] = float(hit.mean())
    return out
