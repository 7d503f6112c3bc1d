"""False alarms of lip classifiers on real normal faces, through `facenorm classify`'s own path
(PhotoClassifier: detect, align, normalize, crop pair, network): one row per photo with each
model's p(abnormal), or the error `classify` would report. Models with the same face settings
share one detection and normalization per photo; others get their own."""
import json
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .. import _core
from .classify import PhotoClassifier
from .model import LipModel

__all__ = ["classify_photos", "normal_rate_by_group", "threshold_for_normal_rate"]


def _face_key(model: LipModel) -> str:
    return json.dumps(model.face, sort_keys=True)


def classify_photos(photos: Sequence[Tuple[str, str]], model_dirs: Sequence[str], threads: int = 2,
                    progress: bool = True) -> List[dict]:
    """photos: (path, label such as an age group); returns [{"path", "group", "error",
    "p": {model dir: p(abnormal)}}]."""
    import sys

    from tqdm import tqdm

    models = [LipModel(d, threads=threads) for d in model_dirs]
    classifiers: Dict[str, PhotoClassifier] = {}
    for m in models:
        classifiers.setdefault(_face_key(m), PhotoClassifier(m))
    rows = []
    for path, group in tqdm(photos, desc="classify", unit="img", file=sys.stderr, disable=not progress):
        row = {"path": path, "group": group, "error": None, "p": {}}
        try:
            image = _core.read_image(path)
            for key, classifier in classifiers.items():
                landmarks = classifier.landmarks(image)
                original, normalized = classifier.crops(image, landmarks)
                for m in models:
                    if _face_key(m) == key:
                        p = m.predict_crops(original[None], normalized[None] if m.network.siamese else None)
                        row["p"][m.model_dir] = float(p[0])
        except _core.FacenormError as e:
            row["error"] = f"{type(e).__name__}: {e}"
        rows.append(row)
    return rows


def normal_rate_by_group(rows: Sequence[dict], model_dir: str, threshold: float) -> Dict[str, dict]:
    """Per group: n photos with a face, how many called normal (p < threshold), the rate; and
    the photos where no face was found (not counted as either)."""
    out: Dict[str, dict] = {}
    for group in dict.fromkeys(r["group"] for r in rows):
        mine = [r for r in rows if r["group"] == group]
        p = np.array([r["p"][model_dir] for r in mine if r["error"] is None])
        normal = int((p < threshold).sum())
        out[group] = {"n": int(len(p)), "normal": normal, "normal_rate": round(normal / len(p), 4) if len(p) else None,
                      "no_face": sum(r["error"] is not None for r in mine)}
    return out


def threshold_for_normal_rate(rows: Sequence[dict], model_dir: str, rate: float) -> float:
    """The lowest threshold that calls at least `rate` of every group's faces normal (p < t)."""
    if not 0.0 < rate < 1.0:
        raise _core.InputError(f"rate: expected a share of faces in (0, 1), got {rate}")
    needed = []
    for group in dict.fromkeys(r["group"] for r in rows):
        p = np.sort([r["p"][model_dir] for r in rows if r["group"] == group and r["error"] is None])
        if len(p):
            k = int(np.ceil(rate * len(p))) - 1   # the k-th smallest must fall below the threshold
            needed.append(float(np.nextafter(p[k], np.inf)))
    return max(needed) if needed else 0.5
