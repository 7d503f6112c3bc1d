"""`facenorm train-landmark-refiner`: fit the refiner's cascade (model.py) on a RefineSet.

Each stage: features at the current points of every training face (and its mirror image, so
left and right droops are learned alike), the step to the truth in the canonical frame divided by
the template's eye-corner distance, a ridge regression for each penalty of the grid, and for
each a deadband (model.shrink); the pair with the lowest *balanced* development error is kept:
half the mean error on normal faces plus half that on the others, so a correction that helps
drooped faces is not bought with noise on normal ones. The points then move, and the next stage
learns from where this one left them; a stage that does not lower the balanced error by 1% ends
the cascade.
"""
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from ..._core import InputError
from ..fcn.nme import nme
from .features import FeatureLayout, apply, canonical_template, invert, shape_features
from .model import Cascade, save_model, shrink
from .ridge import RidgeProblem
from .samples import RefineSet, mirrored

__all__ = ["RefinerSettings", "point_error", "SYNTHETIC_GROUPS", "NORMAL_GROUPS", "balanced_error",
           "train_refiner"]


@dataclass
class RefinerSettings:
    stages: int = 3
    grid: int = 3
    cell: int = 6
    iod: float = 80.0
    margin: int = 24
    penalties: tuple = (3.0, 10.0, 30.0)
    deadbands: tuple = (0.0, 0.002, 0.003, 0.004, 0.006)  # in eye-corner distances
    mirror: bool = True
    dev_fraction: float = 0.1
    seed: int = 0
    annotated_weight: float = 1.0  # weight of a hand-annotated photo against a synthetic sample
    perturbations: int = 0         # extra jittered starts per annotated photo (the SDM augmentation)
    jitter: float = 0.03           # their shift (fraction of the eye-corner distance), scale and roll (radians)

    @property
    def layout(self) -> FeatureLayout:
        return FeatureLayout(self.grid, self.cell, self.iod, self.margin)


def _features(images, shapes, truth, template, canvas, layout, desc, progress):
    """(features (N, D), targets (N, 136), transforms (N, 2, 3))."""
    from tqdm import tqdm

    feats = np.empty((len(images), layout.length), np.float32)
    targets = np.empty((len(images), 136), np.float64)
    transforms = np.empty((len(images), 2, 3))
    for i in tqdm(range(len(images)), desc=desc, unit="face", file=sys.stderr, disable=not progress, leave=False):
        feats[i], transforms[i], canonical = shape_features(images[i], shapes[i], template, canvas, layout)
        targets[i] = ((apply(transforms[i], truth[i]) - canonical) / layout.iod).reshape(-1)
    return feats, targets, transforms


def _moved(shapes, transforms, steps, iod):
    out = np.empty_like(shapes)
    for i in range(len(shapes)):
        canonical = apply(transforms[i], shapes[i]) + steps[i].reshape(68, 2) * iod
        out[i] = apply(invert(transforms[i]), canonical)
    return out


def _perturbed(images, start, truth, weights, annotated, settings):
    """Each annotated sample `settings.perturbations` more times, its start moved by a random
    similarity about its centre (shift, scale and roll of about settings.jitter), so the stages
    learn to converge from where dlib might have been too. The copies share the sample's weight
    equally, so the photo does not count more."""
    rng = np.random.default_rng(settings.seed + 1)
    k, j = settings.perturbations, settings.jitter
    pick = np.nonzero(annotated)[0]
    new_images, new_start, new_truth, new_weights = list(images), [start], [truth], weights.copy()
    for i in pick:
        new_weights[i] = weights[i] / (k + 1)
        iod = float(np.linalg.norm(start[i][45] - start[i][36]))
        centre = start[i].mean(0)
        for _ in range(k):
            angle, scale = rng.normal(0, j), 1 + rng.normal(0, j)
            rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            moved = (start[i] - centre) @ rot.T + centre + rng.normal(0, j * iod, 2)
            new_images.append(images[i])
            new_start.append(moved[None].astype(np.float32))
            new_truth.append(truth[i][None])
            new_weights = np.append(new_weights, weights[i] / (k + 1))
    return new_images, np.concatenate(new_start), np.concatenate(new_truth), new_weights


def point_error(shapes, truth) -> np.ndarray:
    """Mean point-to-point distance per face over the outer eye-corner distance of the truth
    (nme_io as a fraction)."""
    return nme(shapes, truth)["nme_io"] / 100


SYNTHETIC_GROUPS = ("normal", "palsy-left", "palsy-right")
NORMAL_GROUPS = ("normal", "healthy")


def balanced_error(errors, groups) -> float:
    normal = np.array([g in NORMAL_GROUPS for g in groups])
    if normal.all() or not normal.any():
        return float(np.mean(errors))
    return 0.5 * float(np.mean(errors[normal])) + 0.5 * float(np.mean(errors[~normal]))


def _by_group(errors, groups) -> dict:
    out = {"all": round(float(np.mean(errors)), 5)}
    for g in sorted(set(groups)):
        out[g] = round(float(np.mean([e for e, h in zip(errors, groups) if h == g])), 5)
    return out


def train_refiner(samples: RefineSet, out, settings: RefinerSettings = None, source=(),
                  progress: bool = True, gate: dict = None, start_model: str = None) -> dict:
    """Fit the cascade, write the model folder `out`, and return the summary (dev errors per
    stage and group, in fractions of the inter-ocular distance). gate: {"model", "low", "high"}
    (model.Gate) written into model.json, or None; start_model: the refiner the samples' start points
    came from (model.chained_start), or None for dlib's."""
    from ..fcn.training import subject_split

    settings = settings or RefinerSettings()
    if settings.stages < 1 or not settings.penalties:
        raise InputError("refiner: expected at least one stage and one penalty")
    started = time.perf_counter()
    layout = settings.layout
    train, dev = subject_split(samples.subjects, settings.dev_fraction, settings.seed)
    if len(dev) == 0:
        raise InputError("refiner: need faces of at least two subjects (one goes to the development split)")
    images = [samples.images[i] for i in train]
    start, truth = samples.start[train].copy(), samples.truth[train].copy()
    annotated = np.array([samples.groups[i] not in SYNTHETIC_GROUPS for i in train])
    sample_weights = np.where(annotated, settings.annotated_weight, 1.0)
    if settings.mirror:
        annotated = np.concatenate([annotated, annotated])
        sample_weights = np.concatenate([sample_weights, sample_weights])
        flips = [mirrored(im, s) + (mirrored(im, t)[1],) for im, s, t in zip(images, start, truth)]
        images += [f[0] for f in flips]
        start = np.concatenate([start, np.stack([f[1] for f in flips])])
        truth = np.concatenate([truth, np.stack([f[2] for f in flips])])
    if settings.perturbations:
        images, start, truth, sample_weights = _perturbed(images, start, truth, sample_weights, annotated, settings)
    dev_images = [samples.images[i] for i in dev]
    dev_shapes, dev_truth = samples.start[dev].copy(), samples.truth[dev]
    dev_groups = [samples.groups[i] for i in dev]
    template, canvas = canonical_template(truth, layout)

    shapes = start
    errors = point_error(dev_shapes, dev_truth)
    history = [{"stage": 0, "dev_error": _by_group(errors, dev_groups),
                "dev_balanced": round(balanced_error(errors, dev_groups), 5)}]
    stages = []
    for stage in range(settings.stages):
        x, y, transforms = _features(images, shapes, truth, template, canvas, layout,
                                     f"stage {stage + 1}/{settings.stages}", progress)
        dx, _, dev_transforms = _features(dev_images, dev_shapes, dev_truth, template, canvas, layout,
                                          "development", progress)
        problem = RidgeProblem(x, y, sample_weights)
        best = None
        for penalty in settings.penalties:
            weights, bias = problem.solve(penalty)
            steps = dx @ weights + bias
            for deadband in settings.deadbands:
                moved = _moved(dev_shapes, dev_transforms, shrink(steps, deadband), layout.iod)
                errors = point_error(moved, dev_truth)
                score = balanced_error(errors, dev_groups)
                if best is None or score < best[0]:
                    best = (score, penalty, deadband, weights, bias, moved, errors)
        score, penalty, deadband, weights, bias, moved, errors = best
        if stages and score > 0.99 * history[-1]["dev_balanced"]:
            if progress:
                print(f"stage {stage + 1} does not help on the development faces: the cascade ends", file=sys.stderr)
            break
        stages.append((weights, bias, deadband))
        dev_shapes = moved
        shapes = _moved(shapes, transforms, shrink(x @ weights + bias, deadband), layout.iod)
        history.append({"stage": stage + 1, "penalty": penalty, "deadband": deadband,
                        "dev_error": _by_group(errors, dev_groups), "dev_balanced": round(score, 5),
                        "train_error": round(float(point_error(shapes, truth).mean()), 5)})
        if progress:
            print(f"stage {stage + 1}: penalty {penalty}, deadband {deadband}, development error "
                  f"{history[-1]['dev_error']}", file=sys.stderr)
    cascade = Cascade(template, canvas, layout, stages)
    info = {"samples": len(samples), "train_faces": len(train), "dev_faces": len(dev), "mirror": settings.mirror,
            "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(settings).items()},
            "history": history, "source": [str(s) for s in source],
            "seconds": round(time.perf_counter() - started, 1)}
    if gate:
        info["gate"] = dict(gate)
    if start_model:
        info["start"] = str(start_model)
    save_model(out, cascade, info)
    return {"out": str(out), **info}
