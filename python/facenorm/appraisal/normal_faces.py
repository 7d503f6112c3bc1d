"""The normal faces the appraisal models learn from and are calibrated on: UTKFace (every age)
and CelebAMask-HQ (adults), with the age group read from UTKFace's file names and a fixed,
documented split (docs/appraisal.md).

Split: a UTKFace file is held out when the first byte of sha1(file name) is below 52 (about 20%),
so the split needs no list and never changes when files are added. CelebA's train/ fits, test/
is held out.
"""
import hashlib
import os
from pathlib import Path
from typing import List, Optional, Tuple

import cv2
import numpy as np

from .. import _core

__all__ = ["AGE_GROUPS", "age_group", "utkface_age", "is_held_out", "held_out_half", "normal_face_files",
           "FaceFinder", "found_faces"]

AGE_GROUPS = ("0-2", "3-5", "6-12", "13-17", "18-59", "60+")
_AGE_EDGES = (3, 6, 13, 18, 60)


def age_group(age: Optional[float]) -> Optional[str]:
    """'0-2' ... '60+' for an age in years; None for None."""
    if age is None:
        return None
    age = float(age)
    if not np.isfinite(age) or age < 0 or age > 130:
        raise _core.InputError(f"age: expected years between 0 and 130, got {age}")
    return AGE_GROUPS[int(np.searchsorted(_AGE_EDGES, age, side="right"))]


def utkface_age(path) -> Optional[int]:
    """The age in UTKFace's file name AGE_GENDER_RACE_DATE.jpg, or None when the name is not one."""
    head = Path(path).name.split("_", 1)[0]
    return int(head) if head.isdigit() else None


def _split_byte(path) -> int:
    return hashlib.sha1(Path(path).name.encode("utf-8")).digest()[0]


def is_held_out(path) -> bool:
    return _split_byte(path) < 52


def held_out_half(path) -> str:
    """'calibration' (first byte < 26: normality and thresholds are fitted here) or 'evaluation'
    (26-51: false alarms are measured here, on faces the calibration never saw)."""
    return "calibration" if _split_byte(path) < 26 else "evaluation"


def normal_face_files(root, part: str, per_group: Optional[int] = None, seed: int = 0) -> List[Tuple[str, Optional[str]]]:
    """[(path, age group or None)] of `root` (the shared data folder, holding utkface/ and
    celebamask/) for part 'fit', 'held_out', or its halves 'calibration' and 'evaluation'
    (CelebA test: its first 50 files calibrate, the rest evaluate); per_group caps each UTKFace
    age group (a seeded draw), so adults do not drown the children."""
    if part not in ("fit", "held_out", "calibration", "evaluation"):
        raise _core.InputError(f"part: expected fit, held_out, calibration or evaluation, got {part!r}")
    half = part if part in ("calibration", "evaluation") else None
    part = "held_out" if half else part
    root = Path(root)
    utk = root / "utkface" / "images"
    celeba = root / "celebamask" / ("train" if part == "fit" else "test") / "images"
    if not utk.is_dir() and not celeba.is_dir():
        raise _core.MissingFileError(f"{root}: expected utkface/images and/or celebamask/ under it")
    rows = []
    if utk.is_dir():
        by_group = {g: [] for g in AGE_GROUPS}
        for name in sorted(os.listdir(utk)):
            age = utkface_age(name)
            if age is None or not name.lower().endswith(".jpg") or is_held_out(name) != (part == "held_out"):
                continue
            if half and held_out_half(name) != half:
                continue
            by_group[age_group(age)].append(str(utk / name))
        rng = np.random.default_rng(seed)
        for group, files in by_group.items():
            if per_group is not None and len(files) > per_group:
                files = sorted(rng.choice(files, per_group, replace=False).tolist())
            rows += [(f, group) for f in files]
    if celeba.is_dir():
        names = [n for n in sorted(os.listdir(celeba)) if n.lower().endswith((".jpg", ".png"))]
        if half:
            names = names[:50] if half == "calibration" else names[50:]
        rows += [(str(celeba / n), None) for n in names]
    return rows


class FaceFinder:
    """Detect a face and its 68 landmarks; when the detector misses a tightly cropped,
    pre-aligned face (UTKFace's crops cut chin and forehead), retry on a copy padded by a quarter
    of its size with the border replicated, upsampled once. Landmarks are in the input's pixels."""

    def __init__(self, pipeline=None):
        from ..pipeline import FacePipeline
        self.pipeline = pipeline or FacePipeline()
        self._padded = None

    def landmarks(self, image: np.ndarray) -> Tuple[np.ndarray, bool]:
        """(68 x 2 float32 landmarks, whether the fallback found them). NoFaceError if neither does."""
        try:
            return self.pipeline.faces(image)[0].landmarks, False
        except _core.NoFaceError:
            pass
        from ..pipeline import FacePipeline
        if self._padded is None:
            self._padded = FacePipeline(upsample=1)
        pad = max(image.shape[:2]) // 4
        padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        try:
            lm = self._padded.faces(padded)[0].landmarks
        except _core.NoFaceError:
            raise _core.NoFaceError("no face found, also not with the fallback for tight pre-aligned crops "
                                    "(padded by a quarter, upsampled once)") from None
        return (lm - pad).astype(np.float32), True


def found_faces(files, desc: str = "faces", progress: bool = True):
    """([(path, age group, image, landmarks)] of the files whose face is found, how many were not)."""
    import sys

    from tqdm import tqdm
    finder = FaceFinder()
    found, skipped = [], 0
    for path, group in tqdm(files, desc=desc, unit="face", file=sys.stderr, disable=not progress):
        try:
            image = _core.read_image(path)
            landmarks, _ = finder.landmarks(image)
        except _core.FacenormError:
            skipped += 1
            continue
        found.append((path, group, image, landmarks))
    return found, skipped
