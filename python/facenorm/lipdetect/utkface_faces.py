"""UTKFace's faces for the lip-pair dataset: its documented held-out files (sha1 rule of
appraisal.normal_faces.is_held_out) are the test faces and never train; the others train and
develop. Each age group may be capped by a seeded draw, so adults do not drown the children."""
import os
from typing import Dict, List, Optional, Tuple

import numpy as np

from .._core import InputError, MissingFileError
from ..appraisal.normal_faces import AGE_GROUPS, age_group, is_held_out, utkface_age

__all__ = ["utkface_split"]


def _capped(by_group: Dict[str, List[str]], per_group: Optional[int], seed: int) -> List[str]:
    rng = np.random.default_rng(seed)
    files = []
    for group in AGE_GROUPS:
        names = by_group[group]
        if per_group is not None and len(names) > per_group:
            names = sorted(rng.choice(names, per_group, replace=False).tolist())
        files += names
    return files


def utkface_split(folder, per_group: Optional[int] = None, test_per_group: Optional[int] = None,
                  seed: int = 0) -> Tuple[List[str], List[str]]:
    """(train/dev files, held-out test files) of a folder of UTKFace AGE_GENDER_RACE_DATE.jpg
    photos; files without an age in their name are left out."""
    folder = os.path.abspath(os.fspath(folder))
    if not os.path.isdir(folder):
        raise MissingFileError(f"{folder}: no such folder of UTKFace photos (AGE_GENDER_RACE_DATE.jpg)")
    for name, cap in (("per_group", per_group), ("test_per_group", test_per_group)):
        if cap is not None and int(cap) < 1:
            raise InputError(f"utkface {name}: expected 1 or more faces per age group, got {cap}")
    fit = {g: [] for g in AGE_GROUPS}
    held_out = {g: [] for g in AGE_GROUPS}
    for name in sorted(os.listdir(folder)):
        age = utkface_age(name)
        if age is None or not name.lower().endswith(".jpg"):
            continue
        (held_out if is_held_out(name) else fit)[age_group(age)].append(os.path.join(folder, name))
    if not any(fit.values()) and not any(held_out.values()):
        raise InputError(f"{folder}: no UTKFace photos (AGE_GENDER_RACE_DATE.jpg) in it")
    return _capped(fit, per_group, seed), _capped(held_out, test_per_group, seed + 1)
