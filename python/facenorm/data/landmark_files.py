"""Reading 68-point landmark files that come with photos: iBUG .pts and NumPy (68, 2) .npy.

Both return float32 (68, 2) pixel (x, y), iBUG 300-W order, 0-based. iBUG .pts files are
1-based (Matlab convention, as in the 300-W annotations; menpo subtracts 1 the same way), so
read_pts subtracts 1 unless one_based=False.
"""
from pathlib import Path
from typing import Optional

import numpy as np

from .._core import InputError, MissingFileError
from .schema import LANDMARKS_SHAPE

__all__ = ["SIDECAR_SUFFIXES", "read_pts", "read_landmarks_npy", "read_landmark_file", "find_sidecar_landmarks"]

SIDECAR_SUFFIXES = (".pts", ".npy")  # looked for in this order next to the image


def _checked(points: np.ndarray, path) -> np.ndarray:
    if points.shape != LANDMARKS_SHAPE:
        raise InputError(f"{path}: expected 68 (x, y) landmarks, shape (68, 2), got shape {points.shape}")
    if not np.isfinite(points).all():
        raise InputError(f"{path}: the landmarks hold NaN or inf")
    return np.ascontiguousarray(points, dtype=np.float32)


def read_pts(path, one_based: bool = True) -> np.ndarray:
    """iBUG .pts: `version: 1`, `n_points: 68`, then `{`, 68 lines `x y`, `}`."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such landmark file")
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    try:
        start, end = lines.index("{"), lines.index("}")
    except ValueError:
        raise InputError(f"{path}: expected an iBUG .pts file with the points between '{{' and '}}'") from None
    header = dict(ln.split(":", 1) for ln in lines[:start] if ":" in ln)
    declared = header.get("n_points", "").strip()
    try:
        points = np.array([[float(v) for v in ln.split()[:2]] for ln in lines[start + 1:end] if ln],
                          dtype=np.float64)
    except ValueError as e:
        raise InputError(f"{path}: expected numbers 'x y' on every point line ({e})") from None
    if declared and declared.isdigit() and int(declared) != len(points):
        raise InputError(f"{path}: n_points says {declared} but {len(points)} points follow")
    points = points.reshape(-1, 2) if points.size else points.reshape(0, 2)
    return _checked(points - 1.0 if one_based else points, path)


def read_landmarks_npy(path) -> np.ndarray:
    """A NumPy .npy holding one (68, 2) float array of 0-based pixel (x, y)."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such landmark file")
    try:
        points = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise InputError(f"{path}: expected a NumPy .npy file with a (68, 2) float array ({e})") from None
    if not np.issubdtype(points.dtype, np.floating) and not np.issubdtype(points.dtype, np.integer):
        raise InputError(f"{path}: expected float landmarks, got dtype {points.dtype}")
    return _checked(points, path)


def read_landmark_file(path) -> np.ndarray:
    """Read a .pts or .npy landmark file by its extension."""
    suffix = Path(path).suffix.lower()
    if suffix == ".pts":
        return read_pts(path)
    if suffix == ".npy":
        return read_landmarks_npy(path)
    raise InputError(f"{path}: expected a .pts or .npy landmark file, got '{suffix}'")


def find_sidecar_landmarks(image_path) -> Optional[Path]:
    """The landmark file next to an image (same stem, .pts first, then .npy), or None."""
    image_path = Path(image_path)
    for suffix in SIDECAR_SUFFIXES:
        candidate = image_path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None
