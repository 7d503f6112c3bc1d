"""Pixel -> millimetre scale: from a known inter-pupillary distance, or from the iris.

The horizontal visible iris diameter is nearly constant in adults (11.7 mm on average), so it
calibrates a frontal photo without a ruler. It is measured on each eye along rows through the
eye centre: the iris is the dark band between the two strongest sclera/iris edges (bright ->
dark entering, dark -> bright leaving), median over the rows; an eye whose band is not 30-60%
of the eye's width (closed, glasses glare, gaze far to the side) is not used.
"""
from typing import Optional, Tuple

import cv2
import numpy as np

from .._core import InputError

__all__ = ["IRIS_DIAMETER_MM", "EYES", "eye_centres_distance", "scale_from_ipd", "iris_diameter_px",
           "scale_from_iris"]

IRIS_DIAMETER_MM = 11.7
EYES = {"right": (36, 39), "left": (45, 42)}  # (outer corner, inner corner), subject's sides


def eye_centres_distance(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[42:48].mean(0) - landmarks[36:42].mean(0)))


def scale_from_ipd(landmarks: np.ndarray, ipd_mm: float) -> float:
    """mm per pixel from the inter-pupillary distance (pupils ~ the eye-contour centres)."""
    if not 40.0 <= ipd_mm <= 90.0:
        raise InputError(f"inter-pupillary distance: expected 40-90 mm, got {ipd_mm}")
    return ipd_mm / eye_centres_distance(landmarks)


def iris_diameter_px(gray: np.ndarray, landmarks: np.ndarray, eye: str) -> Optional[float]:
    """The iris's horizontal diameter in pixels on one eye, or None if it cannot be seen."""
    outer, inner = landmarks[EYES[eye][0]].astype(np.float64), landmarks[EYES[eye][1]].astype(np.float64)
    width = float(np.linalg.norm(inner - outer))
    if width < 8:
        return None
    axis = (inner - outer) / width
    normal = np.array([-axis[1], axis[0]])
    pts = landmarks[range(36, 42) if eye == "right" else range(42, 48)].astype(np.float64)
    centre = pts.mean(0)
    opening = float(np.ptp((pts - centre) @ normal))
    samples = max(32, int(round(width * 2)))
    t = np.linspace(0.0, 1.0, samples)
    widths = []
    for dv in np.linspace(-0.2, 0.2, 5) * max(opening, 1.0):
        line = outer + np.outer(t, inner - outer) + (centre - (outer + inner) / 2) + dv * normal
        xs, ys = line[:, 0].astype(np.float32), line[:, 1].astype(np.float32)
        profile = cv2.remap(gray, xs[None], ys[None], cv2.INTER_LINEAR)[0].astype(np.float64)
        profile = np.convolve(profile, np.ones(3) / 3, mode="same")
        grad = np.gradient(profile)
        margin = samples // 10
        enter = margin + int(np.argmin(grad[margin:samples - margin]))       # bright -> dark
        rest = grad[enter + 1:samples - margin]
        if rest.size < 2:
            continue
        leave = enter + 1 + int(np.argmax(rest))                               # dark -> bright
        widths.append((leave - enter) / (samples - 1) * width)
    if not widths:
        return None
    d = float(np.median(widths))
    return d if 0.3 * width <= d <= 0.6 * width else None


def scale_from_iris(image: np.ndarray, landmarks: np.ndarray) -> Tuple[Optional[float], dict]:
    """(mm per pixel or None, details) from the iris diameter of the eyes where it is visible."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    found = {eye: iris_diameter_px(gray, landmarks, eye) for eye in EYES}
    seen = [d for d in found.values() if d]
    info = {f"iris_px_{eye}": (None if d is None else round(d, 2)) for eye, d in found.items()}
    if not seen:
        return None, info
    return IRIS_DIAMETER_MM / float(np.mean(seen)), info
