"""Lip templates: 68 x 2 landmarks (iBUG order, 0-based pixel x, y, of any image) whose outer
upper lip 49-53 carries a cleft-like shape. Files: NumPy .npy (68, 2) or iBUG .pts. Only the
mouth matters: 48 and 54 give the scale, 49-53 the shape, 51 the vertical anchor."""
from pathlib import Path

import numpy as np

from .._core import InputError
from ..data.landmark_files import read_landmark_file

__all__ = ["TEMPLATE_SUFFIXES", "load_lip_template", "lip_templates_in", "choose_template"]

TEMPLATE_SUFFIXES = (".npy", ".pts")


def load_lip_template(path) -> np.ndarray:
    """Read a template file as float32 (68, 2); raises InputError naming what was expected."""
    points = read_landmark_file(path)
    width = np.linalg.norm(points[54] - points[48])
    if not width > 1e-3:
        raise InputError(f"{path}: mouth corners 48 and 54 coincide; expected a lip template with a mouth")
    return points


def lip_templates_in(folder) -> dict:
    """{name: (68, 2) array} for every template file in a folder, sorted by name."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in TEMPLATE_SUFFIXES)
    if not files:
        raise InputError(f"{folder}: no lip templates (.npy or .pts files) found")
    return {p.stem: load_lip_template(p) for p in files}


def choose_template(templates: dict, seed) -> tuple:
    """A (name, landmarks) pair drawn uniformly with a seeded generator, so the choice is
    reproducible and can be recorded."""
    if not templates:
        raise InputError("choose_template: expected at least one template")
    names = sorted(templates)
    name = names[int(np.random.default_rng(seed).integers(len(names)))]
    return name, templates[name]
