"""Importers for annotated landmark datasets, so users train and evaluate on AFLFP-like data:

- iBUG/300-W `.pts` files beside the images (`version: 1`, `n_points: 68`, `{`, 68 lines `x y`, `}`);
  300-W's coordinates are 1-based (the first pixel's centre is 1), converted to 0-based here;
- 68 x 2 `.npy` arrays beside the images (0-based pixels, the facenorm convention).

An optional `meta.csv` in the folder (columns `name,subject,group`; name = the image's file name)
gives each image its subject (for subject-independent folds) and its group (expression, palsy
side, ...). Without it every image is its own subject and the group is the parent folder's name.
"""
import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..._core import InputError, MissingFileError
from ...data.inputs import images_in_folder

__all__ = ["Annotated", "read_pts", "write_pts", "read_npy", "read_annotated_folder"]


@dataclass
class Annotated:
    path: str
    landmarks: np.ndarray  # float32 (68, 2), 0-based pixels
    subject: str
    group: str


def read_pts(path) -> np.ndarray:
    """68 0-based (x, y) points from an iBUG `.pts` file."""
    try:
        lines = [ln.strip() for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read as an iBUG .pts text file ({e})") from None
    try:
        n = int(next(ln for ln in lines if ln.startswith("n_points")).split(":")[1])
        body = lines[lines.index("{") + 1:lines.index("}")]
        points = np.array([[float(v) for v in ln.split()[:2]] for ln in body], np.float64)
    except (StopIteration, ValueError, IndexError):
        raise InputError(f"{path}: expected iBUG .pts (n_points: 68, then {{ 68 lines 'x y' }})") from None
    if n != 68 or points.shape != (68, 2) or not np.all(np.isfinite(points)):
        raise InputError(f"{path}: expected 68 points, got n_points {n} and {len(points)} coordinate lines")
    return (points - 1.0).astype(np.float32)


def write_pts(path, landmarks: np.ndarray) -> None:
    """The inverse of read_pts (1-based on disk)."""
    p = np.asarray(landmarks, np.float64) + 1.0
    body = "\n".join(f"{x:.3f} {y:.3f}" for x, y in p)
    Path(path).write_text(f"version: 1\nn_points: {len(p)}\n{{\n{body}\n}}\n", encoding="utf-8")


def read_npy(path) -> np.ndarray:
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read as a .npy array ({e})") from None
    if a.shape != (68, 2) or not np.issubdtype(a.dtype, np.number) or not np.all(np.isfinite(a)):
        raise InputError(f"{path}: expected a finite 68 x 2 array of (x, y) pixels, got {a.dtype} {a.shape}")
    return a.astype(np.float32)


def _meta(folder: Path) -> dict:
    path = folder / "meta.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"name", "subject"} <= set(rows[0]):
        raise InputError(f"{path}: expected the columns name,subject[,group]")
    return {r["name"]: r for r in rows}


def read_annotated_folder(folder) -> list:
    """Every image under `folder` with a `.pts` or `.npy` of the same stem (`.pts` first)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingFileError(f"{folder}: no such folder of annotated images")
    meta, out = _meta(folder), []
    for image in images_in_folder(folder):
        stem = os.path.splitext(image)[0]
        if os.path.isfile(stem + ".pts"):
            lm = read_pts(stem + ".pts")
        elif os.path.isfile(stem + ".npy"):
            lm = read_npy(stem + ".npy")
        else:
            continue
        name = os.path.basename(image)
        row = meta.get(name, {})
        out.append(Annotated(image, lm, row.get("subject") or name, row.get("group") or Path(image).parent.name))
    if not out:
        raise InputError(f"{folder}: no image has a .pts or .npy annotation of the same name")
    return out
