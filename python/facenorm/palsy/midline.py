"""The facial midline from 68 landmarks, and face coordinates about it.

Facial palsy leaves the nose, the inner canthi and the chin in place while one side droops, so
the midline is fitted (total least squares) through the nose bridge and tip (27-30, 33), the
chin (8) and the midpoints of the inner and outer canthi - not through the mouth or brows,
which move with the palsy.
"""
from dataclasses import dataclass

import numpy as np

from .._core import InputError

__all__ = ["MIDLINE_POINTS", "MIDLINE_PAIRS", "MIRROR", "FaceFrame", "facial_midline", "mirror_landmarks"]

MIDLINE_POINTS = (27, 28, 29, 30, 33, 8)
MIDLINE_PAIRS = ((39, 42), (36, 45))
# iBUG index of each point's mirror image (left <-> right); midline points map to themselves
MIRROR = np.array(
    [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,          # jaw 0-16
     26, 25, 24, 23, 22, 21, 20, 19, 18, 17,                              # brows 17-26
     27, 28, 29, 30, 35, 34, 33, 32, 31,                                  # nose 27-35
     45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,                      # eyes 36-47
     54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,                      # outer lips 48-59
     64, 63, 62, 61, 60, 67, 66, 65])                                     # inner lips 60-67


@dataclass(frozen=True)
class FaceFrame:
    """origin on the midline; `down` along it (forehead -> chin); `left` towards the subject's
    left (the image right for a face looking at the camera)."""
    origin: np.ndarray
    down: np.ndarray
    left: np.ndarray

    def coords(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) pixel points -> (N, 2) (lateral u, vertical v): u > 0 on the subject's left,
        v grows downwards, both in pixels."""
        d = np.asarray(points, np.float64) - self.origin
        return np.stack([d @ self.left, d @ self.down], axis=-1)


def facial_midline(landmarks: np.ndarray) -> FaceFrame:
    p = np.asarray(landmarks, np.float64)
    if p.shape != (68, 2) or not np.all(np.isfinite(p)):
        raise InputError(f"landmarks: expected 68 finite (x, y) points, got shape {p.shape}")
    pts = np.vstack([p[list(MIDLINE_POINTS)]] + [(p[a] + p[b]) / 2 for a, b in MIDLINE_PAIRS])
    centre = pts.mean(0)
    _, _, vt = np.linalg.svd(pts - centre)
    down = vt[0] / np.linalg.norm(vt[0])
    if (p[8] - p[27]) @ down < 0:
        down = -down
    # perpendicular, oriented towards the subject's left eye (image right when facing the camera)
    left = np.array([-down[1], down[0]])
    if (p[42:48].mean(0) - p[36:42].mean(0)) @ left < 0:
        left = -left
    return FaceFrame(origin=p[27].copy(), down=down, left=left)


def mirror_landmarks(landmarks: np.ndarray, width: int) -> np.ndarray:
    """The landmarks of the horizontally mirrored image (x -> width - 1 - x, sides swapped)."""
    out = np.asarray(landmarks, np.float32)[MIRROR].copy()
    out[:, 0] = (width - 1) - out[:, 0]
    return out
