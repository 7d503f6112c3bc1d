"""Heatmap pictures as in Fig. 10 of the PLOS ONE 2023 paper: the anomaly heatmap over the face,
everything outside the scored region dimmed, with a colour bar in the heatmap's units."""
from typing import Optional

import cv2
import numpy as np

from .._core import InputError

__all__ = ["COLORMAP", "heatmap_scale", "colour_bar", "heatmap_overlay", "score_figure"]

COLORMAP = cv2.COLORMAP_INFERNO  # perceptually uniform; bright = more different


def heatmap_scale(plane: np.ndarray, mask: np.ndarray) -> float:
    """The value shown at full colour: the 99.5th percentile inside the region (a few hot pixels
    must not wash the rest out); 1.0 when the region holds no difference at all."""
    inside = plane[mask > 0.5]
    top = float(np.percentile(inside, 99.5)) if inside.size else 0.0
    return top if top > 0 else 1.0


def _colour(plane: np.ndarray, vmax: float) -> np.ndarray:
    levels = np.clip(plane / vmax * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(levels, COLORMAP), cv2.COLOR_BGR2RGB)


def colour_bar(height: int, vmax: float, label: str) -> np.ndarray:
    """A white panel with a vertical colour bar from 0 (bottom) to vmax (top) and tick labels."""
    scale = max(0.35, height / 1400)
    thickness = max(1, round(height / 700))
    bar_w = max(12, height // 28)
    width = bar_w + int(110 * scale / 0.35 * 0.8)
    panel = np.full((height, width, 3), 255, np.uint8)
    top, bottom = max(int(0.12 * height), int(28 * scale / 0.35)), int(0.94 * height)
    ramp = np.linspace(255, 0, bottom - top).astype(np.uint8)[:, None].repeat(bar_w, axis=1)
    panel[top:bottom, 4:4 + bar_w] = cv2.cvtColor(cv2.applyColorMap(ramp, COLORMAP), cv2.COLOR_BGR2RGB)
    for frac in (0.0, 0.5, 1.0):
        y = int(bottom - frac * (bottom - top))
        cv2.line(panel, (4 + bar_w, y), (8 + bar_w, y), (0, 0, 0), thickness)
        cv2.putText(panel, f"{frac * vmax:.3g}", (10 + bar_w, y + int(5 * scale / 0.35)), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, (0, 0, 0), thickness, cv2.LINE_AA)
    cv2.putText(panel, label, (4, max(12, top - int(12 * scale / 0.35))), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.8, (0, 0, 0),
                thickness, cv2.LINE_AA)
    return panel


def heatmap_overlay(image: np.ndarray, heatmap: np.ndarray, mask: np.ndarray, vmax: Optional[float] = None,
                    dim: float = 0.3, label: str = "heatmap", with_bar: bool = True) -> np.ndarray:
    """RGB uint8: the heatmap (channels summed) blended over `image` inside the [0, 1] `mask`,
    the rest of the face dimmed to `dim`; plus a colour bar (0 to vmax, default heatmap_scale)."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"image: expected RGB uint8 (H, W, 3), got {image.dtype} {image.shape}")
    plane = heatmap if heatmap.ndim == 2 else heatmap.sum(axis=2, dtype=np.float32)
    if plane.shape != image.shape[:2] or mask.shape != image.shape[:2]:
        raise InputError(f"heatmap {heatmap.shape} and mask {mask.shape} must match the image {image.shape[:2]}")
    vmax = float(vmax) if vmax else heatmap_scale(plane, mask)
    m = np.clip(mask, 0, 1)[..., None].astype(np.float32)
    base = image.astype(np.float32)
    inside = 0.35 * base + 0.65 * _colour(plane, vmax).astype(np.float32)
    out = np.clip(m * inside + (1 - m) * base * dim, 0, 255).astype(np.uint8)
    return np.hstack([out, colour_bar(image.shape[0], vmax, label)]) if with_bar else out


def score_figure(original: np.ndarray, normalized: np.ndarray, heatmap: np.ndarray, mask: np.ndarray,
                 caption: str, label: str = "heatmap", vmax: Optional[float] = None) -> np.ndarray:
    """original | normalized | heatmap overlay + colour bar, with a caption strip below."""
    panels = np.hstack([original, normalized, heatmap_overlay(original, heatmap, mask, vmax, label=label)])
    h = max(28, original.shape[0] // 14)
    strip = np.full((h, panels.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, caption, (8, int(h * 0.7)), cv2.FONT_HERSHEY_SIMPLEX, h / 40, (0, 0, 0),
                max(1, h // 30), cv2.LINE_AA)
    return np.vstack([panels, strip])
