"""Subject-independent k-fold cross-validation of the refiner (the AFLFP protocol, as
`train-landmarks --folds` does for the FCN): one refiner per fold in out/fold_<i> (a finished
fold is reused), each held-out fold refined by its own model and compared with dlib's points on
the very same faces. Writes out/crossval.csv (one row per sample and landmarker), crossval.md
(NME and asymmetry error by group) and paired.md (refined against dlib)."""
import csv
import os

import numpy as np

from ...files import atomic_write
from ..fcn.asymmetry_error import asymmetry_error
from ..fcn.evaluation import markdown_table, paired_comparison, paired_table, summarize
from ..fcn.nme import nme, subject_folds
from .model import RefinedLandmarker
from .samples import RefineSet
from .training import RefinerSettings, train_refiner

__all__ = ["cross_validate_refiner"]


def _rows(fold, held: RefineSet, offset, predictions: dict) -> list:
    rows = []
    for name, pred in predictions.items():
        errors = {**nme(pred, held.truth), "asym_err": asymmetry_error(pred, held.truth)}
        rows += [{"sample": offset + i, "fold": fold, "subject": held.subjects[i], "group": held.groups[i],
                  "landmarker": name, **{k: round(float(v[i]), 4) for k, v in errors.items()}}
                 for i in range(len(held))]
    return rows


def cross_validate_refiner(samples: RefineSet, out, settings: RefinerSettings = None, folds: int = 10, source=(),
                           progress: bool = True, dlib=None) -> dict:
    """dlib: dlib's own points where samples.start came from a chained refiner (the rows and
    predictions.npz then compare with dlib, and keep the chain's start as `start`)."""
    dlib = samples.start if dlib is None else np.asarray(dlib, np.float32)
    settings = settings or RefinerSettings()
    os.makedirs(out, exist_ok=True)
    rows = {"dlib": [], "refined": []}
    out_of_fold = samples.start.copy()
    offset = 0
    for f, (train, test) in enumerate(subject_folds(samples.subjects, folds, settings.seed)):
        folder = os.path.join(out, f"fold_{f}")
        if not os.path.isfile(os.path.join(folder, "model.json")):
            train_refiner(samples.subset(train), folder, settings, source, progress)
        cascade = RefinedLandmarker(folder).cascade
        held = samples.subset(test)
        refined = np.stack([cascade.refine(im, s) for im, s in zip(held.images, held.start)])
        out_of_fold[test] = refined
        for r in _rows(f, held, offset, {"dlib": dlib[test], "refined": refined}):
            rows[r["landmarker"]].append(r)
        offset += len(held)
    rows = rows["dlib"] + rows["refined"]  # the reference first: paired_comparison compares with it

    def write_rows(tmp):
        with open(tmp, "w", newline="") as fh:
            table = csv.DictWriter(fh, list(rows[0]))
            table.writeheader()
            table.writerows(rows)

    atomic_write(os.path.join(out, "crossval.csv"), write_rows)
    # each sample's points from the fold that did not see it: what the palsy assessment learns from
    def write_predictions(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, refined=out_of_fold, dlib=dlib, start=samples.start, truth=samples.truth,
                     subjects=np.array(samples.subjects, dtype=str), groups=np.array(samples.groups, dtype=str))

    atomic_write(os.path.join(out, "predictions.npz"), write_predictions)
    summary, paired = summarize(rows), paired_comparison(rows)
    with open(os.path.join(out, "crossval.md"), "w") as fh:
        fh.write(f"{folds}-fold cross-validation by subject, {len(samples)} samples\n\n" + markdown_table(summary))
    with open(os.path.join(out, "paired.md"), "w") as fh:
        fh.write(paired_table(paired, "dlib"))
    return {"out": os.path.abspath(out), "folds": folds, "samples": len(samples), "summary": summary,
            "paired": paired}
