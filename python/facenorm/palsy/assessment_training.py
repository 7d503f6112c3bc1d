"""`facenorm train-palsy-assessment`: fit the palsy assessment (assessment.py) on annotated
photos of palsy and healthy faces, and cross-validate it by subject.

The landmarks it learns from are the ones it will see at inference: a landmarker's points on
each photo (out-of-fold points where the landmarker itself was trained on these photos), not
the hand-clicked truth. Groups: "central" and "peripheral" are palsy, "healthy" is not.

Cross-validation (k folds by subject, landmarks_fcn.nme.subject_folds): each fold's models are
fitted on the other folds and predict the held-out photos; the out-of-fold probabilities give
the ROC AUC (palsy against healthy; peripheral against central), the Brier score and the
calibration table (predicted against observed frequency in bins), so "calibrated" is measured on
photos the models did not see. The ridge penalty is the one of PENALTIES with the lowest
out-of-fold log loss. The shipped model is then fitted on all photos.
"""
from dataclasses import dataclass

import numpy as np

from .._core import InputError
from .assessment import (FEATURES, FORMAT, SIDE_RELIABILITY, TYPE_FEATURES, VERSION, annotated_side,
                         assessment_points, feature_vector, side_evidence, signed_asymmetries)
from .logistic import fit_logistic

__all__ = ["PALSY_GROUPS", "PENALTIES", "GATE_RANGES", "AssessmentData", "side_weights", "fit_assessment",
           "calibration_table", "out_of_fold", "cross_validate_assessment", "gate_table", "data_from_predictions",
           "normal_points", "data_from_annotations"]

PALSY_GROUPS = ("central", "peripheral")
PENALTIES = (0.1, 0.3, 1.0, 3.0, 10.0)
GATE_RANGES = ((0.0, 1e-9), (0.3, 0.7), (0.3, 0.8), (0.4, 0.8), (0.5, 0.8), (0.5, 0.9))


@dataclass
class AssessmentData:
    landmarks: np.ndarray        # (N, 68, 2) what a landmarker predicted on each photo
    groups: list                 # "central", "peripheral", "healthy"
    subjects: list
    truth: np.ndarray = None     # (N, 68, 2) hand-clicked points, for the side agreement (optional)
    start: np.ndarray = None     # (N, 68, 2) where the refinement started (the gate blends from there)
    dlib: np.ndarray = None      # (N, 68, 2) dlib's points: the gate's table compares with them
    normal: np.ndarray = None    # (M, 68, 2) extra healthy faces (every age) for p_palsy's fit only
    normal_weight: float = 0.1   # each one's weight against an annotated photo

    def __post_init__(self):
        unknown = sorted(set(self.groups) - set(PALSY_GROUPS) - {"healthy"})
        if unknown:
            raise InputError(f"palsy assessment: expected groups central, peripheral, healthy; got {unknown}")
        if len(set(self.groups)) < 3:
            raise InputError("palsy assessment: need photos of all three groups (central, peripheral, healthy)")

    @property
    def palsy(self) -> np.ndarray:
        return np.array([g in PALSY_GROUPS for g in self.groups], np.float64)

    @property
    def peripheral(self) -> np.ndarray:
        return np.array([g == "peripheral" for g in self.groups], np.float64)


def _features(landmarks) -> np.ndarray:
    return np.stack([feature_vector(lm) for lm in landmarks])


def side_weights(landmarks) -> dict:
    """Each feature's weight in the side evidence: its reliability (SIDE_RELIABILITY) over the
    mean size of its signed value on palsy faces, so the features add up in comparable units."""
    signed = np.array([[signed_asymmetries(lm)[f] for f in FEATURES] for lm in landmarks])
    spread = np.maximum(np.abs(signed).mean(0), 1e-6)
    return {f: round(float(SIDE_RELIABILITY[f] / s), 4) for f, s in zip(FEATURES, spread) if SIDE_RELIABILITY[f] > 0}


def fit_assessment(data: AssessmentData, penalty: float) -> dict:
    """model.json's content (without provenance) fitted on all of `data`. Extra normal faces
    (data.normal) join p_palsy's fit as healthy examples at data.normal_weight each: a few dozen
    healthy photos cannot show how asymmetric normal faces of every age are."""
    x = _features(data.landmarks)
    if data.normal is not None and len(data.normal):
        xn = _features(data.normal)
        palsy = fit_logistic(np.vstack([x, xn]), np.concatenate([data.palsy, np.zeros(len(xn))]), FEATURES, penalty,
                             weights=np.concatenate([np.ones(len(x)), np.full(len(xn), data.normal_weight)]))
    else:
        palsy = fit_logistic(x, data.palsy, FEATURES, penalty)
    keep = data.palsy == 1
    upper = [FEATURES.index(f) for f in TYPE_FEATURES]
    kind = fit_logistic(x[keep][:, upper], data.peripheral[keep], TYPE_FEATURES, penalty)
    return {"format": FORMAT, "version": VERSION, "palsy": palsy.to_json(), "type": kind.to_json(),
            "side_weights": side_weights(data.landmarks[keep]), "penalty": penalty}


def calibration_table(p, y, bins: int = 5) -> list:
    """Rows (bin low, bin high, n, mean predicted, observed frequency)."""
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        pick = (p >= lo) & ((p < hi) | (hi == 1.0))
        if pick.any():
            rows.append({"low": round(lo, 2), "high": round(hi, 2), "n": int(pick.sum()),
                         "predicted": round(float(p[pick].mean()), 3), "observed": round(float(y[pick].mean()), 3)})
    return rows


def _log_loss(p, y) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def out_of_fold(data: AssessmentData, penalty: float, folds: int, seed: int = 0) -> tuple:
    """(p_palsy, p_peripheral, side evidence, fold) of each photo from models fitted without its
    subject's fold."""
    from ..landmarks.fcn.nme import subject_folds
    from .assessment import PalsyAssessor

    n = len(data.groups)
    p, q, e, fold_of = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, int)
    for f, (train, test) in enumerate(subject_folds(data.subjects, folds, seed)):
        part = AssessmentData(data.landmarks[train], [data.groups[i] for i in train],
                              [data.subjects[i] for i in train], normal=data.normal,
                              normal_weight=data.normal_weight)
        assessor = PalsyAssessor.from_spec(fit_assessment(part, penalty))
        for i in test:
            a = assessor.assess(data.landmarks[i])
            p[i], q[i] = a.p_palsy, a.p_peripheral
            e[i] = side_evidence(data.landmarks[i], assessor.side_weights)
        fold_of[test] = f
    return p, q, e, fold_of


def cross_validate_assessment(data: AssessmentData, folds: int = 5, seed: int = 0, penalties=PENALTIES) -> dict:
    """Out-of-fold figures for each penalty and the chosen one (lowest log loss of p_palsy)."""
    from ..stats.agreement import roc_auc

    y, kind = data.palsy, data.peripheral
    trials = []
    for penalty in penalties:
        p, q, e, fold_of = out_of_fold(data, penalty, folds, seed)
        trials.append((_log_loss(p, y), penalty, p, q, e, fold_of))
    loss, penalty, p, q, e, fold_of = min(trials, key=lambda t: t[0])
    palsy = y == 1
    auc = roc_auc(p, y, n_boot=1000, seed=seed)
    type_auc = roc_auc(q[palsy], kind[palsy], n_boot=1000, seed=seed)
    result = {
        "folds": folds, "photos": len(y), "subjects": len(set(data.subjects)), "penalty": penalty,
        "log_loss": {str(t[1]): round(t[0], 4) for t in trials},
        "auc_palsy": {"auc": round(auc.auc, 4), "ci95": [round(auc.ci_low, 4), round(auc.ci_high, 4)]},
        "accuracy_palsy": round(float(np.mean((p >= 0.5) == palsy)), 4),
        "brier_palsy": round(float(np.mean((p - y) ** 2)), 4),
        "calibration_palsy": calibration_table(p, y),
        "auc_type": {"auc": round(type_auc.auc, 4), "ci95": [round(type_auc.ci_low, 4), round(type_auc.ci_high, 4)]},
        "accuracy_type": round(float(np.mean((q[palsy] >= 0.5) == (kind[palsy] == 1))), 4),
        "by_group": {g: {"n": int(sum(h == g for h in data.groups)),
                         "mean_p_palsy": round(float(np.mean([p[i] for i, h in enumerate(data.groups) if h == g])), 4),
                         "called_palsy": int(sum(p[i] >= 0.5 for i, h in enumerate(data.groups) if h == g))}
                     for g in ("central", "peripheral", "healthy")},
    }
    if data.truth is not None:
        truth_side = np.array([annotated_side(t) for t in data.truth])
        agree = np.where(e > 0, "left", "right")[palsy] == truth_side[palsy]
        result["side_agreement_with_truth"] = round(float(agree.mean()), 4)
    if data.start is not None and data.truth is not None:
        result["gate"] = gate_table(data, p)
    result["out_of_fold"] = {"p_palsy": p.round(4).tolist(), "p_peripheral": q.round(4).tolist(),
                             "fold": fold_of.tolist()}
    return result


def gate_table(data: AssessmentData, p) -> list:
    """For each (low, high) of GATE_RANGES, the points start + g x (refined - start), g =
    clip((p - low) / (high - low), 0, 1) with the out-of-fold p_palsy, against the truth, per
    group: NME box / inter-ocular / inner 51 and the asymmetry error (means, percent), NME box as a
    ratio to dlib's, and on how many photos NME box beats dlib's (model.Gate of the refiner)."""
    from ..landmarks.refine.model import gate_weight, gated
    from ..landmarks.fcn.asymmetry_error import asymmetry_error
    from ..landmarks.fcn.nme import nme

    dlib = data.start if data.dlib is None else data.dlib
    base = nme(dlib, data.truth)["nme_box"]
    groups = np.array(data.groups)
    sets = {"central": groups == "central", "peripheral": groups == "peripheral", "palsy": groups != "healthy",
            "healthy": groups == "healthy"}
    rows = []
    for low, high in GATE_RANGES:
        blend = gated(data.start, data.landmarks, gate_weight(p, low, high))
        e = nme(blend, data.truth)
        e["asym_err"] = asymmetry_error(blend, data.truth)
        rows.append({"low": low, "high": round(high, 4),
                     "nme_box_ratio_to_dlib": {k: round(float(e["nme_box"][m].mean() / base[m].mean()), 4)
                                               for k, m in sets.items()},
                     "better_than_dlib": {k: f"{int((e['nme_box'][m] < base[m]).sum())} / {int(m.sum())}"
                                          for k, m in sets.items()},
                     "mean": {k: {name: round(float(v[m].mean()), 4) for name, v in e.items() if name != "nme_eq3"}
                              for k, m in sets.items()}})
    return rows


def data_from_predictions(path) -> AssessmentData:
    """From `train-landmark-refiner --folds`'s predictions.npz: each photo's out-of-fold refined
    points (what the shipped refiner would give on a photo it never saw)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return AssessmentData(z["refined"], [str(g) for g in z["groups"]], [str(s) for s in z["subjects"]],
                                  truth=z["truth"], start=z["start"] if "start" in z else z["dlib"], dlib=z["dlib"])
    except (OSError, KeyError, ValueError) as e:
        raise InputError(f"{path}: not a predictions.npz of `facenorm train-landmark-refiner --folds` ({e})") from None


def normal_points(paths, model="refined", progress: bool = True) -> np.ndarray:
    """(M, 68, 2) what the landmarker reads on normal photos for the assessment (faces the
    detector misses are left out, said on stderr)."""
    import sys

    from tqdm import tqdm

    from .._core import FacenormError, read_image
    from ..detection import FaceDetector
    from ..landmarks.registry import get_landmarker

    detector, predictor, out = FaceDetector(), get_landmarker(model), []
    for path in tqdm(paths, desc="normal faces", unit="img", file=sys.stderr, disable=not progress):
        try:
            image = read_image(path)
            box = detector.detect(image, "largest")[0]
        except FacenormError as e:
            print(f"{path}: left out ({type(e).__name__}: {e})", file=sys.stderr)
            continue
        out.append(assessment_points(predictor, image, box)[1])
    if not out:
        raise InputError("palsy assessment: no face found in the normal photos")
    return np.stack(out)


def data_from_annotations(annotated, model="refined", progress: bool = True) -> AssessmentData:
    """Run the landmarker `model` on each annotated photo (the detector's box holding its points);
    a gated refiner's whole correction, which is what the assessment reads at inference."""
    import sys

    from tqdm import tqdm

    from .._core import read_image
    from ..detection import FaceDetector
    from ..landmarks.registry import get_landmarker
    from ..landmarks.labelled_faces import annotated_face_box

    detector, predictor = FaceDetector(), get_landmarker(model)
    rows = []
    for a in tqdm(annotated, desc="landmarks", unit="img", file=sys.stderr, disable=not progress):
        image = read_image(a.path)
        box = annotated_face_box(detector, image, a.landmarks)
        if box is None:
            print(f"{a.path}: no face detected, left out", file=sys.stderr)
            continue
        rows.append((assessment_points(predictor, image, box)[1], a.group, a.subject, a.landmarks))
    if not rows:
        raise InputError("palsy assessment: no annotated photo with a detected face")
    lm, groups, subjects, truth = zip(*rows)
    return AssessmentData(np.stack(lm), list(groups), list(subjects), np.stack(truth))
