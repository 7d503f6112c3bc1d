"""The refined landmarker: dlib's 68 points, then a cascade of linear corrections learned from
palsy-like copies (supervised descent on shape-indexed gradient features, features.py).

dlib's shape model pulls a drooping mouth corner or brow back towards a symmetric face; each
stage reads the image around the current points and moves them where the image puts them. On a
normal face the training truth was dlib's own points, so the stages learned to leave it alone.

A model folder holds `refiner.npz` (template, canvas, each stage's weights, bias and deadband) and
`model.json` (format, version, feature layout, sha256 of refiner.npz). The default is
models/landmark_refiner.
"""
import os

import numpy as np

from ..._core import InputError, ModelError
from ...models import read_model_folder
from .features import FeatureLayout, apply, invert, shape_features, to_gray

__all__ = ["FORMAT", "VERSION", "WEIGHTS", "default_model_dir", "shrink", "Cascade", "layout_of", "gate_weight",
           "gated", "Gate", "chained_start", "RefinedPrediction", "RefinedLandmarker", "refined_landmarker",
           "save_model"]

FORMAT = "facenorm-landmark-refiner"
VERSION = 1
WEIGHTS = "refiner.npz"


def default_model_dir() -> str:
    from ...models import model_dir
    return model_dir("landmark_refiner", "facenorm train-landmark-refiner")


def shrink(steps: np.ndarray, deadband: float) -> np.ndarray:
    """Each point's step shortened by `deadband` (zero if shorter): the regression's small
    answers on a face with nothing to correct are noise, a droop's corrections are larger."""
    steps = np.asarray(steps, np.float64).reshape(-1, 68, 2)
    if deadband <= 0:
        return steps.reshape(len(steps), -1)
    length = np.linalg.norm(steps, axis=2, keepdims=True)
    return (steps * (np.maximum(length - deadband, 0.0) / np.maximum(length, 1e-12))).reshape(len(steps), -1)


class Cascade:
    """The stages and what they need: template (68, 2), canvas (w, h), layout,
    [(weights, bias, deadband)]; steps are in units of the template's eye-corner distance."""

    def __init__(self, template, canvas, layout: FeatureLayout, stages):
        self.template = np.asarray(template, np.float32)
        self.canvas = (int(canvas[0]), int(canvas[1]))
        self.layout = layout
        self.stages = [(np.asarray(w, np.float32), np.asarray(b, np.float32), float(d)) for w, b, d in stages]
        for w, b, _ in self.stages:
            if w.shape != (layout.length, 136) or b.shape != (136,):
                raise ModelError(f"refiner stage: expected weights ({layout.length}, 136) and bias (136,), "
                                 f"got {w.shape} and {b.shape}")

    def step(self, gray: np.ndarray, shape: np.ndarray, stage: int) -> np.ndarray:
        weights, bias, deadband = self.stages[stage]
        features, transform, canonical = shape_features(gray, shape, self.template, self.canvas, self.layout)
        moved = canonical + shrink(features @ weights + bias, deadband).reshape(68, 2) * self.layout.iod
        return apply(invert(transform), moved).astype(np.float32)

    def refine(self, gray: np.ndarray, shape: np.ndarray) -> np.ndarray:
        for stage in range(len(self.stages)):
            shape = self.step(gray, shape, stage)
        return shape

    def arrays(self) -> dict:
        out = {"template": self.template, "canvas": np.array(self.canvas, np.int64)}
        for i, (w, b, d) in enumerate(self.stages):
            out[f"stage{i}_weights"] = w
            out[f"stage{i}_bias"] = b
            out[f"stage{i}_deadband"] = np.float64(d)
        return out

    @classmethod
    def from_arrays(cls, arrays, layout: FeatureLayout, stages: int) -> "Cascade":
        try:
            return cls(arrays["template"], arrays["canvas"], layout,
                       [(arrays[f"stage{i}_weights"], arrays[f"stage{i}_bias"], arrays[f"stage{i}_deadband"])
                        for i in range(stages)])
        except KeyError as e:
            raise ModelError(f"refiner weights: missing array {e}") from None


def layout_of(settings: dict) -> FeatureLayout:
    try:
        return FeatureLayout(int(settings["grid"]), int(settings["cell"]), float(settings["iod"]),
                             int(settings["margin"]))
    except (KeyError, TypeError, ValueError) as e:
        raise ModelError(f"refiner model.json: bad or missing feature layout ({e})") from None


def gate_weight(p_palsy, low: float, high: float):
    """g = clip((p_palsy - low) / (high - low), 0, 1): the share of the correction a face keeps
    (scalar or array)."""
    return np.clip((np.asarray(p_palsy, np.float64) - low) / (high - low), 0.0, 1.0)


def gated(start: np.ndarray, full: np.ndarray, g) -> np.ndarray:
    """start + g x (full - start), for one face (g scalar) or many (g of shape (N,))."""
    g = np.asarray(g, np.float64)
    return (start + (g[..., None, None] if g.ndim else g) * (full - start)).astype(np.float32)


class Gate:
    """How much of the cascade's correction a face gets: g = clip((p - low) / (high - low), 0, 1)
    with p the palsy assessment's p_palsy on the fully refined points. The correction learned on
    real palsy photos helps drooping, expressive faces and would only add noise to healthy ones,
    so a face that does not look palsied keeps its start points (dlib's, or the chained refiner's;
    docs/palsy.md)."""

    def __init__(self, spec: dict, folder: str):
        from ...models import model_dir as find_model
        from ...palsy.assessment import PalsyAssessor

        try:
            name, self.low, self.high = spec["model"], float(spec["low"]), float(spec["high"])
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(f"{folder}/model.json: gate: expected model, low and high ({e})") from None
        if not 0.0 <= self.low < self.high <= 1.0:
            raise ModelError(f"{folder}/model.json: gate: expected 0 <= low < high <= 1, got {self.low}, {self.high}")
        path = os.path.join(folder, name)
        self.assessor = PalsyAssessor(path if os.path.isdir(path) else find_model(name))
        self.spec = {"model": name, "low": self.low, "high": self.high}

    def weight(self, full: np.ndarray) -> tuple:
        """(g in [0, 1], p_palsy) for fully refined points."""
        p = self.assessor.assess(full).p_palsy
        return float(gate_weight(p, self.low, self.high)), p


def chained_start(name: str, folder: str) -> "RefinedLandmarker":
    """The refiner whose points this one starts from (a model name, or a folder relative to this
    model's): one link only, so a chain cannot loop."""
    from ...models import model_dir as find_model

    path = os.path.join(folder, name)
    start = RefinedLandmarker(path if os.path.isdir(path) else find_model(name))
    if start.settings.get("start") or start.gate is not None:
        raise ModelError(f"{folder}/model.json: its start model {start.model_dir} must be a plain refiner "
                         "(no start of its own, no gate)")
    return start


class RefinedPrediction:
    """points: what predict() returns (start + g x the correction); full: the whole correction;
    start: the start predictor's points (dlib's, or the chained refiner's); gate: g (1 without a
    gate); p_palsy: the gate's reading (None without)."""

    def __init__(self, points, full, start, gate, p_palsy):
        self.points, self.full, self.start, self.gate, self.p_palsy = points, full, start, gate, p_palsy


class RefinedLandmarker:
    """predict(image, box) like dlib's predictor: dlib's points refined by the cascade (and, when
    the model has a gate, only as far as the face looks palsied). The start predictor is dlib's
    default unless given (an object with predict(image, box))."""

    def __init__(self, model_dir=None, start=None):
        from ..dlib import LandmarkPredictor

        self.model_dir = os.fspath(model_dir or default_model_dir())
        s = read_model_folder(self.model_dir, FORMAT, VERSION, "facenorm train-landmark-refiner", "docs/palsy.md")
        if WEIGHTS not in s.get("sha256", {}):
            raise ModelError(f"{self.model_dir}/model.json: lists no checksum for {WEIGHTS}")
        stages = s.get("stages")
        if not isinstance(stages, int) or stages < 1:
            raise ModelError(f"{self.model_dir}/model.json: expected a positive number of stages, got {stages!r}")
        with np.load(os.path.join(self.model_dir, WEIGHTS), allow_pickle=False) as z:
            self.cascade = Cascade.from_arrays(z, layout_of(s), stages)
        self.settings = s
        self.start = start or (chained_start(s["start"], self.model_dir) if s.get("start") else LandmarkPredictor())
        self.gate = Gate(s["gate"], self.model_dir) if s.get("gate") else None

    def __repr__(self) -> str:
        return f"RefinedLandmarker({self.model_dir!r}, stages={len(self.cascade.stages)})"

    def refine(self, image: np.ndarray, shape: np.ndarray) -> np.ndarray:
        """The cascade from given points (float32 (68, 2) image pixels)."""
        shape = np.asarray(shape, np.float32)
        if shape.shape != (68, 2):
            raise InputError(f"landmarks: expected (68, 2), got {shape.shape}")
        return self.cascade.refine(to_gray(image), shape)

    def predict(self, image: np.ndarray, box) -> np.ndarray:
        """float32 (68, 2) image pixels for the face in `box`."""
        return self.predict_detail(image, box).points

    def predict_detail(self, image: np.ndarray, box) -> RefinedPrediction:
        """The points with what made them: the start, the full correction and the gate."""
        start = np.asarray(self.start.predict(image, box), np.float32)
        full = self.refine(image, start)
        if self.gate is None:
            return RefinedPrediction(full, full, start, 1.0, None)
        g, p = self.gate.weight(full)
        return RefinedPrediction(gated(start, full, g), full, start, g, p)


def refined_landmarker(model=None) -> RefinedLandmarker:
    """The registry's `refined[:model=DIR]`."""
    return RefinedLandmarker(model)


def save_model(out, cascade: Cascade, info: dict) -> str:
    """Write refiner.npz and model.json into `out` (each via a temporary file and a rename;
    model.json last, so a folder with a model.json is complete)."""
    import json

    from ...models import sha256_of

    os.makedirs(out, exist_ok=True)
    weights = os.path.join(out, WEIGHTS)
    np.savez_compressed(weights + ".partial.npz", **cascade.arrays())
    os.replace(weights + ".partial.npz", weights)
    layout = cascade.layout
    spec = {"format": FORMAT, "version": VERSION, "stages": len(cascade.stages), "grid": layout.grid,
            "cell": layout.cell, "iod": layout.iod, "margin": layout.margin, **info,
            "sha256": {WEIGHTS: sha256_of(weights)}}
    tmp = os.path.join(out, "model.json.partial")
    with open(tmp, "w") as f:
        json.dump(spec, f, indent=1)
    os.replace(tmp, os.path.join(out, "model.json"))
    return out
