"""`facenorm normalize`: a prepared or synth dataset -> the same records, each face normalized.

Every output record derives from one input record (parent_id = its index in IN) and stores the
normalized image, the normalizer's landmarks (the input's when it does not know them), the
input's box and pose, subject/group/age group/split, and in `params` the normalizer's canonical
spec, the mean of `changed` and its `info`. When IN has region crops, the same crops (same
region, size and landmarks, hence the same geometry) are cut from the normalized image, so a
crop consumer can pair input and output crops pixel for pixel. Output sources are
"<input file>#<record>", so a killed job restarted with the same arguments skips what is there
and neither loses nor duplicates a record (the DatasetWriter commit protocol). A record the
normalizer refuses (InputError, NoFaceError) goes to `skipped` with reason "normalizer_refused".
"""
import math
import os
import sys
import time

import numpy as np

from .. import _core
from ..data.dataset import Dataset
from ..data.schema import CROPS_GROUP, DEFAULT_CROP_SIZE, crop_dataset_name
from ..data.writer import DatasetWriter
from .base import Normalizer
from .registry import get_normalizer

__all__ = ["STAGE", "REFUSED", "json_friendly", "crop_size", "run_normalize"]

STAGE = "normalize"
REFUSED = "normalizer_refused"


def json_friendly(value):
    """`info` as plain JSON: NumPy scalars and arrays become Python values, non-finite floats null,
    anything else unknown its str() (a diagnostic must never stop the job)."""
    if isinstance(value, dict):
        return {str(k): json_friendly(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_friendly(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_friendly(value.tolist())
    if isinstance(value, np.generic):
        return json_friendly(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def crop_size(h5) -> int:
    """The side of a file's region crops (all regions share it); the default when it has none."""
    regions = sorted(h5[CROPS_GROUP]) if CROPS_GROUP in h5 else []
    return int(h5[crop_dataset_name(regions[0])].shape[1]) if regions else DEFAULT_CROP_SIZE


def _open_output(out, params, data: Dataset) -> DatasetWriter:
    """Create `out` with IN's image shape and crops, or reopen it when the same job wrote it."""
    if not os.path.exists(out):
        return DatasetWriter.create(out, data.image_shape, crop_regions=data.crop_regions,
                                    crop_size=crop_size(data.h5), params=params, stage=STAGE)
    return DatasetWriter.reopen_for_job(out, STAGE, params)


def _crops(image, landmarks, regions, size: int) -> tuple:
    """The crops prepare cuts (facenorm.data.prepare_face), and their params (matrix, box)."""
    crops, params = {}, {}
    for region in regions:
        crop = _core.crop_region(image, landmarks, region, size=size)
        crops[region] = crop.image
        params[region] = {"matrix": [[float(v) for v in row] for row in np.asarray(crop.matrix)],
                          "box": [float(v) for v in crop.box]}
    return crops, params


def run_normalize(source, out, normalizer="none", progress: bool = True) -> dict:
    """Run the job; returns the summary `facenorm normalize --json` prints.

    normalizer: 'NAME[:key=value,...]' (or a Normalizer). Raises InputError for an unknown
    normalizer or bad options (before anything is written), DatasetError when `out` exists with
    other arguments; any other error of the normalizer propagates, with every record before it
    committed, so a rerun resumes there.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    n = normalizer if isinstance(normalizer, Normalizer) else get_normalizer(normalizer)
    spec = repr(n)
    source, out = os.path.abspath(os.fspath(source)), os.path.abspath(os.fspath(out))
    params = {"stage": STAGE, "source": source, "normalizer": spec}
    written = skipped = 0
    with Dataset.open(source) as data, _open_output(out, params, data) as writer:
        done = writer.sources()
        records, regions, side = data.records, writer.crop_regions, crop_size(writer.h5)
        todo = [i for i in range(len(data)) if f"{source}#{i}" not in done]
        resumed_from = len(data) - len(todo)
        with tqdm(total=len(data), initial=resumed_from, unit="img", desc="normalize", file=sys.stderr,
                  disable=not progress) as bar:
            for i in todo:
                sample = data[i]
                try:
                    result = n.normalize(sample.image, sample.landmarks)
                except (_core.InputError, _core.NoFaceError) as e:
                    writer.append_skipped(f"{source}#{i}", REFUSED, type(e).__name__, str(e))
                    skipped += 1
                    bar.update(1)
                    continue
                landmarks = sample.landmarks if result.landmarks is None else result.landmarks
                # The input's landmarks: each output crop has its input crop's geometry.
                crops, crop_params = _crops(result.image, sample.landmarks, regions, side)
                record_params = {**json_friendly(dict(result.info or {})), "normalizer": spec,
                                 "changed_fraction": float(np.mean(result.changed))}
                if crop_params:
                    record_params["crops"] = crop_params
                record = records[i]
                writer.append(f"{source}#{i}", result.image, landmarks, sample.box, sample.pose, crops=crops,
                              subject_id=record["subject_id"], group=record["group"],
                              age_group=record["age_group"], split=record["split"], parent_id=i,
                              params=record_params)
                written += 1
                bar.update(1)
    seconds = time.perf_counter() - started
    return {"out": out, "written": written, "skipped": skipped, "resumed_from": resumed_from,
            "normalizer": spec, "seconds": round(seconds, 3),
            "seconds_per_image": round(seconds / (written + skipped), 4) if written + skipped else None}
