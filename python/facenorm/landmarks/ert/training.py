"""`facenorm train-shape-predictor`: dlib's shape-predictor trainer on ShapeSamples, and its
subject-disjoint cross-validation on annotated photos against dlib's shipped model.

Cross-validation: each fold's model learns from the normal faces (and copies) given plus the
annotated photos of the other folds (repeated `annotated_repeat` times, so a few real photos are
not drowned), then predicts the held-out photos in the detector's box as `facenorm landmarks`
would; dlib's shipped model predicts the same photos in the same boxes. Writes predictions.npz in
the format of `train-landmark-refiner --folds` (refined = this model's points), so
`train-palsy-assessment --landmarks` and its gate table read it too, and crossval.md.
"""
import os
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from ..._core import InputError, train_shape_predictor
from .samples import ShapeSamples

__all__ = ["ShapeTrainerSettings", "train_shape_model", "cross_validate_shape_model"]


@dataclass
class ShapeTrainerSettings:
    cascade_depth: int = 10
    tree_depth: int = 4
    trees: int = 300           # per cascade level (dlib's default 500)
    nu: float = 0.1
    oversampling: int = 10     # dlib's default 20
    feature_pool: int = 400
    threads: int = 2
    annotated_repeat: int = 4


def train_shape_model(samples: ShapeSamples, out_path, settings: ShapeTrainerSettings = None,
                      progress: bool = True) -> dict:
    settings = settings or ShapeTrainerSettings()
    if not len(samples):
        raise InputError("shape predictor: no training face")
    started = time.perf_counter()
    result = train_shape_predictor(samples.faces, samples.boxes, samples.points, os.fspath(out_path),
                                   cascade_depth=settings.cascade_depth, tree_depth=settings.tree_depth,
                                   trees_per_cascade_level=settings.trees, nu=settings.nu,
                                   oversampling=settings.oversampling, feature_pool_size=settings.feature_pool,
                                   threads=settings.threads, verbose=progress)
    return {"out": os.fspath(out_path), "samples": result["samples"],
            "train_error_px": round(result["train_error_px"], 3), "settings": asdict(settings),
            "seconds": round(time.perf_counter() - started, 1)}


def cross_validate_shape_model(annotated, base: ShapeSamples, out, settings: ShapeTrainerSettings = None,
                               folds: int = 5, seed: int = 0, progress: bool = True) -> dict:
    """annotated: landmarks_fcn.annotations.Annotated photos; base: the samples every fold adds."""
    from ..._core import read_image
    from ...detection import FaceDetector
    from ..dlib import LandmarkPredictor
    from ...files import atomic_write
    from ..fcn.evaluation import markdown_table, summarize
    from ..fcn.nme import nme, subject_folds
    from ..labelled_faces import annotated_face_box

    settings = settings or ShapeTrainerSettings()
    os.makedirs(out, exist_ok=True)
    detector, dlib = FaceDetector(), LandmarkPredictor()
    photos = []
    for a in annotated:
        image = read_image(a.path)
        box = annotated_face_box(detector, image, a.landmarks)
        if box is None:
            print(f"{a.path}: no face detected, left out", file=sys.stderr)
            continue
        photos.append((a, image, box))
    if not photos:
        raise InputError("shape predictor cross-validation: no annotated photo with a detected face")
    subjects = [a.subject for a, _, _ in photos]
    truth = np.stack([a.landmarks for a, _, _ in photos]).astype(np.float32)
    start = np.stack([dlib.predict(im, box) for _, im, box in photos]).astype(np.float32)
    pred = start.copy()
    for f, (train, test) in enumerate(subject_folds(subjects, folds, seed)):
        model = os.path.join(out, f"fold_{f}.dat")
        if not os.path.isfile(model):
            real = ShapeSamples()
            for i in train:
                a, image, box = photos[i]
                real.add(image, box.to_list(), a.landmarks, a.subject, a.group)
            train_shape_model(base.extended(real, settings.annotated_repeat), model, settings, progress)
        fold_model = LandmarkPredictor(model)
        for i in test:
            pred[i] = fold_model.predict(photos[i][1], photos[i][2])
        if progress:
            print(f"fold {f + 1}/{folds} done", file=sys.stderr)
    groups = [a.group for a, _, _ in photos]

    def write_predictions(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, refined=pred, dlib=start, truth=truth, subjects=np.array(subjects, dtype=str),
                     groups=np.array(groups, dtype=str))

    atomic_write(os.path.join(out, "predictions.npz"), write_predictions)
    rows = []
    for name, points in (("dlib", start), ("shape predictor", pred)):
        e = nme(points, truth)
        rows += [{"group": groups[i], "landmarker": name, **{k: float(v[i]) for k, v in e.items()}}
                 for i in range(len(photos))]
    summary = summarize(rows)
    with open(os.path.join(out, "crossval.md"), "w") as fh:
        fh.write(f"{folds}-fold cross-validation by subject, {len(photos)} photos\n\n" + markdown_table(summary))
    return {"out": os.path.abspath(out), "folds": folds, "photos": len(photos), "summary": summary}
