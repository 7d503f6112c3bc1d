"""Palsy assessment from 68 landmarks: the probability that a face shows facial palsy, the
affected side, and the type (central or peripheral), from a few interpretable asymmetries.

Features (measures.py, in the midline frame, divided by the outer eye-corner distance `io` so
they do not depend on the photo's scale; absolute values, so a mirrored face gives the same):

| feature | definition |
|---|---|
| brow | abs(left - right brow height) / io |
| eye | abs(left - right palpebral fissure height) / io |
| corner | abs(left - right commissure height) / io (one mouth corner lower) |
| excursion | abs(left - right commissure excursion) / io (one corner moves less in a smile) |
| smile | abs(left - right smile angle) / 45 degrees |
| lip | abs(left - right upper-lip height) / io |
| tilt | abs(angle of the line through the mouth corners 48-54 to the face's lateral axis) / 45 degrees |
| lip_centre | abs(lateral offset of the lip centre, mean of 51 and 57, from the midline) / io (pulled to the healthy side) |

Each enters as log(feature + 0.01), so a coefficient reads per doubling-ish of the asymmetry,
not dominated by a few extreme photos. `p_palsy` is a logistic regression on them; `type` a
second one on the upper-face features (brow, eye), fitted on palsy faces only: peripheral palsy
paralyses the forehead and the eye closure too, central palsy spares the upper face. The side
is where the signed evidence points: the lower, less raised mouth corner, the mouth line tilted
down, the lip centre pulled away and (at half weight) the wider eye are on the affected side
(see `SIDE_SIGNS`). The model folder is models/palsy_assessment
(`facenorm train-palsy-assessment`, card models/palsy_assessment.md).
"""
import os
from dataclasses import dataclass

import numpy as np

from .._core import InputError, ModelError
from ..models import read_model_folder
from .logistic import Logistic
from .measures import asymmetry_measures

__all__ = ["FORMAT", "VERSION", "FEATURES", "TYPE_FEATURES", "FLOOR", "SIDE_SIGNS", "SIDE_RELIABILITY",
           "signed_asymmetries", "feature_vector", "side_evidence", "assessment_points", "annotated_side",
           "PalsyAssessment", "PalsyAssessor"]

FORMAT = "facenorm-palsy-assessment"
VERSION = 1
FEATURES = ("brow", "eye", "corner", "excursion", "smile", "lip", "tilt", "lip_centre")
_MEASURE_OF = {"brow": "brow_height", "eye": "palpebral_fissure_height", "corner": "commissure_height",
               "excursion": "commissure_excursion", "smile": "smile_angle", "lip": "upper_lip_height"}
# central palsy spares the upper face, peripheral palsy takes the forehead and the eye closure too
TYPE_FEATURES = ("brow", "eye")
FLOOR = 0.01
# sign of (left - right) that points to the subject's LEFT side being affected, and how much each
# feature counts in the side evidence. The mouth tells the side in both types (the corner lower
# and less raised, the mouth line tilted down, the lip centre pulled to the healthy side, the
# affected corner farther from the displaced centre); the eye (wider where it cannot close) only
# in peripheral palsy, so it counts half; the brow and the upper lip did not agree with the
# mouth's side on the real photos better than chance (docs/palsy.md), so they do not count.
SIDE_SIGNS = {"brow": 0.0, "eye": +1.0, "corner": +1.0, "excursion": +1.0, "smile": -1.0, "lip": 0.0,
              "tilt": +1.0, "lip_centre": -1.0}
SIDE_RELIABILITY = {"brow": 0.0, "eye": 0.5, "corner": 1.0, "excursion": 0.5, "smile": 1.0, "lip": 0.0,
                    "tilt": 1.0, "lip_centre": 1.0}
# typical sizes of the mouth's signed asymmetries, for the side the hand-clicked points show
_MOUTH_SCALE = {"corner": 0.03, "tilt": 0.1, "smile": 0.1}


def signed_asymmetries(landmarks: np.ndarray) -> dict:
    """{feature: signed value} of one face: (left - right) / io for the measures (smile: degrees
    / 45), the mouth line's tilt (> 0: the left corner lower) and the lip centre's offset (> 0:
    towards the subject's left)."""
    lm = np.asarray(landmarks, np.float64)
    if lm.shape != (68, 2) or not np.all(np.isfinite(lm)):
        raise InputError(f"landmarks: expected 68 finite (x, y) points, got {lm.shape}")
    io = float(np.linalg.norm(lm[45] - lm[36]))
    if io < 1e-6:
        raise InputError("landmarks: the outer eye corners coincide")
    m = asymmetry_measures(lm)
    out = {f: m.difference[_MEASURE_OF[f]] / (45.0 if f == "smile" else io) for f in _MEASURE_OF}
    c = m.frame.coords(lm)  # u towards the subject's left, v down
    out["tilt"] = float(np.degrees(np.arctan2(c[54, 1] - c[48, 1], c[54, 0] - c[48, 0]))) / 45.0
    out["lip_centre"] = float((c[51, 0] + c[57, 0]) / 2) / io
    return out


def feature_vector(landmarks: np.ndarray) -> np.ndarray:
    """(len(FEATURES),): log(abs(signed asymmetry) + FLOOR), the classifiers' input."""
    s = signed_asymmetries(landmarks)
    return np.log(np.abs(np.array([s[f] for f in FEATURES])) + FLOOR)


def side_evidence(landmarks: np.ndarray, weights: dict) -> float:
    """> 0: the subject's left side looks affected, < 0: the right; weights per feature."""
    s = signed_asymmetries(landmarks)
    return float(sum(SIDE_SIGNS[f] * weights.get(f, 0.0) * s[f] for f in FEATURES))


def assessment_points(predictor, image: np.ndarray, box) -> tuple:
    """(the landmarks to report, the landmarks to assess) for one face: a gated refiner's points
    and its whole correction (which separates palsy from healthy faces better, docs/palsy.md);
    any other landmarker's points, twice."""
    detail = getattr(predictor, "predict_detail", None)
    if detail:
        d = detail(image, box)
        return d.points, d.full
    points = predictor.predict(image, box)
    return points, points


def annotated_side(landmarks: np.ndarray) -> str:
    """The side that (hand-clicked) points show as affected, by the mouth alone: the corner that
    sits lower, the line tilted down towards it, the smaller smile angle, each in its typical
    size (3% of the eye-corner distance, 4.5 degrees, 4.5 degrees)."""
    s = signed_asymmetries(landmarks)
    return "left" if sum(SIDE_SIGNS[f] * s[f] / k for f, k in _MOUTH_SCALE.items()) > 0 else "right"


@dataclass
class PalsyAssessment:
    p_palsy: float
    side: str            # "left", "right" (the subject's) or "none" when p_palsy < 0.5
    side_confidence: float
    type: str            # "central" or "peripheral" (reported for every face; meaningful when p_palsy is high)
    p_peripheral: float
    features: dict       # the signed asymmetries (left - right) / io

    def to_json(self) -> dict:
        return {"p_palsy": round(self.p_palsy, 4), "side": self.side,
                "side_confidence": round(self.side_confidence, 4), "type": self.type,
                "p_type": round(self.p_peripheral if self.type == "peripheral" else 1 - self.p_peripheral, 4),
                "p_peripheral": round(self.p_peripheral, 4),
                "features": {k: round(v, 5) for k, v in self.features.items()}}


class PalsyAssessor:
    """Loads a model folder (model.json; None = the shipped models/palsy_assessment) and assesses
    faces from their landmarks."""

    def __init__(self, model_dir=None):
        from ..models import model_dir as find_model
        self.model_dir = os.fspath(model_dir) if model_dir is not None \
            else find_model("palsy_assessment", "facenorm train-palsy-assessment")
        path = os.path.join(self.model_dir, "model.json")
        spec = read_model_folder(self.model_dir, FORMAT, VERSION, "facenorm train-palsy-assessment", "docs/palsy.md")
        self._load(spec, path)

    @classmethod
    def from_spec(cls, spec: dict, where: str = "palsy assessment") -> "PalsyAssessor":
        """An assessor from model.json's content (cross-validation fits these in memory)."""
        self = cls.__new__(cls)
        self.model_dir = None
        self._load(spec, where)
        return self

    def _load(self, spec, path) -> None:
        if not isinstance(spec, dict) or spec.get("format") != FORMAT or spec.get("version") != VERSION:
            raise ModelError(f"{path}: expected format {FORMAT} version {VERSION}")
        self.palsy = Logistic.from_json(spec.get("palsy", {}), f"{path}: palsy")
        self.type = Logistic.from_json(spec.get("type", {}), f"{path}: type")
        if self.palsy.names != FEATURES or self.type.names != TYPE_FEATURES:
            raise ModelError(f"{path}: expected the features {', '.join(FEATURES)} (type: {', '.join(TYPE_FEATURES)})")
        self.side_weights = {k: float(v) for k, v in spec.get("side_weights", {}).items()}
        self.spec = spec

    def assess(self, landmarks: np.ndarray) -> PalsyAssessment:
        x = feature_vector(landmarks)
        p = float(self.palsy.probability(x)[0])
        q = float(self.type.probability(x[[FEATURES.index(f) for f in TYPE_FEATURES]])[0])
        evidence = side_evidence(landmarks, self.side_weights)
        side = ("left" if evidence > 0 else "right") if p >= 0.5 and evidence != 0 else "none"
        confidence = float(1.0 / (1.0 + np.exp(-abs(evidence) * self.spec.get("side_scale", 1.0))))
        return PalsyAssessment(p, side, confidence, "peripheral" if q >= 0.5 else "central", q,
                               signed_asymmetries(landmarks))
