"""Shape-indexed gradient features for the landmark refiner: SIFT-like orientation histograms
read at each current landmark in a canonical face frame (the supervised-descent idea: the image
around a point says which way the point should move).

The frame is the similarity that maps the current shape's stable points (jaw, nose, eye
corners: what a palsy droop leaves in place) onto the template, so the features do not depend on
the photo's scale or the head's roll, and a droop does not tilt the frame.
"""
from dataclasses import dataclass

import cv2
import numpy as np

from ..._core import InputError

__all__ = ["ANCHORS", "BINS", "FeatureLayout", "similarity", "apply", "invert", "canonical_template", "to_gray",
           "canonical_face", "orientation_cells", "sample_offsets", "features_at", "shape_features"]

# points the palsy-like droop does not move (jaw 0-16, nose 27-35, eye corners)
ANCHORS = np.array(list(range(0, 17)) + list(range(27, 36)) + [36, 39, 42, 45])
BINS = 8


@dataclass(frozen=True)
class FeatureLayout:
    grid: int = 3      # grid x grid cells about each point
    cell: int = 6      # cell side in canonical pixels
    iod: float = 80.0  # outer-canthus distance of the template in canonical pixels
    margin: int = 24   # canonical pixels about the template's bounding box

    @property
    def length(self) -> int:
        return 68 * self.grid * self.grid * BINS


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2 x 3 least-squares similarity (rotation, scale, shift; no reflection) taking src to dst."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    norm = (s ** 2).sum()
    if not norm > 1e-9:
        raise InputError("landmarks: the anchor points coincide")
    a = (s[:, 0] * d[:, 0] + s[:, 1] * d[:, 1]).sum() / norm
    b = (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]).sum() / norm
    rot = np.array([[a, -b], [b, a]])
    return np.hstack([rot, (md - rot @ ms)[:, None]])


def apply(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.asarray(points, np.float64) @ transform[:, :2].T + transform[:, 2]


def invert(transform: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(transform)


def canonical_template(shapes: np.ndarray, layout: FeatureLayout, iterations: int = 3) -> tuple:
    """(template (68, 2) in canonical pixels, canvas (width, height)): the Procrustes mean of
    `shapes` on the anchor points, scaled to layout.iod and placed layout.margin from the edges."""
    shapes = np.asarray(shapes, np.float64)
    if shapes.ndim != 3 or shapes.shape[1:] != (68, 2) or len(shapes) == 0:
        raise InputError(f"shapes: expected (N, 68, 2), got {shapes.shape}")
    mean = shapes[0]
    for _ in range(iterations):
        aligned = np.stack([apply(similarity(s[ANCHORS], mean[ANCHORS]), s) for s in shapes])
        mean = aligned.mean(0)
        mean = (mean - mean.mean(0)) * (layout.iod / np.linalg.norm(mean[45] - mean[36]))
    mean -= mean.min(0) - layout.margin
    size = np.ceil(mean.max(0) + layout.margin).astype(int)
    return mean.astype(np.float32), (int(size[0]), int(size[1]))


def to_gray(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise InputError(f"image: expected uint8 (H, W[, 3]), got {image.dtype} {image.shape}")
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def canonical_face(gray: np.ndarray, transform: np.ndarray, canvas) -> np.ndarray:
    """float32 canvas of the face under `transform` (image -> canonical), area-averaged first
    where the photo is much larger than the canvas, so the gradients are not aliased."""
    scale = float(np.sqrt(abs(np.linalg.det(transform[:, :2]))))
    f = int(1.0 / scale) if scale < 0.5 else 1
    if f > 1:
        gray = cv2.resize(gray, (gray.shape[1] // f, gray.shape[0] // f), interpolation=cv2.INTER_AREA)
        # reduced pixel p holds the original's f x f block centred at f p + (f - 1) / 2
        transform = np.hstack([transform[:, :2] * f, (transform[:, 2] + transform[:, :2].sum(1) * (f - 1) / 2)[:, None]])
    return cv2.warpAffine(gray, transform, canvas, flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE).astype(np.float32)


def orientation_cells(face: np.ndarray, cell: int) -> np.ndarray:
    """float32 (H, W, BINS): gradient magnitude soft-binned by signed orientation, averaged over
    a cell x cell box about each pixel."""
    gx = cv2.Sobel(face, cv2.CV_32F, 1, 0, ksize=1)
    gy = cv2.Sobel(face, cv2.CV_32F, 0, 1, ksize=1)
    magnitude, angle = cv2.cartToPolar(gx, gy)
    position = angle * (BINS / (2 * np.pi))
    low = np.floor(position)
    weight_high = position - low
    low = low.astype(np.int32) % BINS
    high = (low + 1) % BINS
    channels = np.empty(face.shape + (BINS,), np.float32)
    for k in range(BINS):
        channels[..., k] = magnitude * ((low == k) * (1.0 - weight_high) + (high == k) * weight_high)
    return cv2.boxFilter(channels, -1, (cell, cell))


def sample_offsets(layout: FeatureLayout) -> np.ndarray:
    steps = (np.arange(layout.grid) - (layout.grid - 1) / 2) * layout.cell
    return np.stack(np.meshgrid(steps, steps), -1).reshape(-1, 2)


def features_at(cells: np.ndarray, points: np.ndarray, layout: FeatureLayout) -> np.ndarray:
    """float32 (68 * grid^2 * BINS,): the cells at each point's grid, normalized per point like
    SIFT (unit length, clipped at 0.2, unit length again) so lighting and contrast drop out."""
    where = (np.asarray(points, np.float32)[:, None, :] + sample_offsets(layout)[None].astype(np.float32))
    where = where.reshape(1, -1, 2)
    values = cv2.remap(cells, where[..., 0].copy(), where[..., 1].copy(), cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    v = values.reshape(68, -1)
    v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-6
    np.minimum(v, 0.2, out=v)
    v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-6
    return v.reshape(-1)


def shape_features(gray: np.ndarray, shape: np.ndarray, template: np.ndarray, canvas, layout: FeatureLayout):
    """(features, transform image -> canonical, the shape in canonical pixels) for one face."""
    shape = np.asarray(shape, np.float64)
    if shape.shape != (68, 2) or not np.all(np.isfinite(shape)):
        raise InputError(f"landmarks: expected 68 finite (x, y) points, got {shape.shape}")
    transform = similarity(shape[ANCHORS], template[ANCHORS])
    canonical = apply(transform, shape)
    cells = orientation_cells(canonical_face(gray, transform, canvas), layout.cell)
    return features_at(cells, canonical, layout), transform, canonical
