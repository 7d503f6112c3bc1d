"""`facenorm fit-normal-model`: train the statistical normal-face model on control faces.

Faces come from images (folders, files, list files: landmarks detected with dlib's 68-point
predictor) or from a prepared HDF5 dataset (its stored images and landmarks).
"""
import os
import sys
import time


from .. import _core, models
from .normal_model import fit_normal_model

__all__ = ["faces_from_dataset", "run_fit"]


def faces_from_dataset(path, limit: int):
    from ..data.dataset import Dataset
    with Dataset.open(path) as data:
        return [(data.image(i), data.landmarks[i]) for i in range(min(limit, len(data)))], []


def run_fit(inputs, out, limit: int = 1000, shape_components: int = 24, texture_components: int = 60,
            progress: bool = True) -> dict:
    """Fits and writes the model (atomically); returns the summary `--json` prints."""
    from ..data.inputs import collect_image_paths
    from ..score.calibrate_job import control_faces

    started = time.perf_counter()
    if limit < 20:
        raise _core.InputError(f"limit: expected at least 20 faces, got {limit}")
    if len(inputs) == 1 and str(inputs[0]).endswith((".h5", ".hdf5")):
        faces, skipped = faces_from_dataset(inputs[0], limit)
        source = str(inputs[0])
    else:
        paths = collect_image_paths(inputs)
        found, skipped = control_faces(paths, limit, progress)
        faces = [(image, landmarks) for _, image, landmarks in found]
        source = [str(i) for i in inputs]
    meta = {"source": source, "command": "facenorm fit-normal-model " + " ".join(map(str, inputs)) +
            f" --limit {limit} --shape-components {shape_components} --texture-components {texture_components}",
            "landmarks": "dlib shape_predictor_68_face_landmarks", "created": time.strftime("%Y-%m-%d")}
    model = fit_normal_model(faces, shape_components, texture_components, progress=progress, meta=meta)
    model.save(out)
    print(f"facenorm: normal-face model from {len(faces)} faces -> {out}", file=sys.stderr)
    return {"out": os.path.abspath(out), "faces": len(faces), "skipped": len(skipped),
            "shape_components": model.meta["shape_components"],
            "texture_components": model.meta["texture_components"],
            "texture_pixels": model.meta["texture_pixels"], "seconds": round(time.perf_counter() - started, 1),
            "sha256": models.sha256_of(out)}
