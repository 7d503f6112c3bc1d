"""`facenorm calibrate-score`: fit the normality curves on control faces (see calibration.py).

Each control face gets LT-v2 copies at the calibration severities (a built-in template drawn per
face and severity from the seed); every copy is scored against the control face (the "reference"
normalizer: ideal) with every method, colour/erosion variant and region; then one logistic
curve per key maps the resolution-free score to 100 (1 - severity).
"""
import sys
import time
from pathlib import Path

import numpy as np

from .. import _core
from ..geometry import REGIONS, eye_distance, resample_to_eye_distance
from ..lipsynth import default_lip_templates, lip_transform_v2
from .calibration import calibration_key, fit_normality_curve, save_calibration
from .heatmaps import VARIANTS, anomaly_heatmap
from .scoring import anomaly_score_details

__all__ = ["SEVERITIES", "CALIBRATED_METHODS", "CALIBRATED_REGIONS", "control_faces", "at_eye_distance",
           "calibration_samples", "run_calibration"]

SEVERITIES = (0.0, 0.25, 0.5, 0.75, 1.0)
CALIBRATED_METHODS = ("pse", "ssim")
CALIBRATED_REGIONS = REGIONS


def control_faces(paths, limit, progress=True):
    """(path, image, landmarks) of the first `limit` inputs with a face; skipped paths counted."""
    from tqdm import tqdm

    from ..pipeline import FacePipeline
    pipeline, faces, skipped = FacePipeline(), [], []
    with tqdm(total=min(limit, len(paths)), desc="landmarks", unit="face", file=sys.stderr,
              disable=not progress) as bar:
        for path in paths:
            if len(faces) >= limit:
                break
            result = pipeline.analyze(path, keep_image=True)
            if result.error:
                skipped.append({"source": path, "error": result.error})
                continue
            faces.append((path, result.image, result.faces[0].landmarks))
            bar.update(1)
    return faces, skipped


def at_eye_distance(face, target: float):
    """(path, image, landmarks) resampled so the eyes are `target` pixels apart: the scale at
    which score_pair evaluates normality (erosion works in pixels)."""
    path, image, landmarks = face
    (image,), points, _ = resample_to_eye_distance((image,), landmarks, target)
    return path, image, points


def calibration_samples(faces, severities=SEVERITIES, methods=CALIBRATED_METHODS, regions=CALIBRATED_REGIONS,
                        seed=0, progress=True):
    """key -> (x values, severities) over every face x severity."""
    from tqdm import tqdm

    templates = default_lip_templates()
    samples = {}
    total = len(faces) * len(severities)
    with tqdm(total=total, desc="calibrate", unit="pair", file=sys.stderr, disable=not progress) as bar:
        for f, (_, image, landmarks) in enumerate(faces):
            for s, severity in enumerate(severities):
                copy = lip_transform_v2(image, landmarks, templates, severity,
                                        seed=int(np.random.SeedSequence([seed, f, s]).generate_state(1)[0]))
                masks = {r: _core.region_mask(copy.landmarks_after, image.shape[:2], r) for r in regions}
                for method in methods:
                    for colour, erosion in VARIANTS.values():
                        heat = anomaly_heatmap(copy.image, image, method, colour, erosion)
                        for region, mask in masks.items():
                            x = anomaly_score_details(heat, mask).mean_error_score
                            xs, ss = samples.setdefault(calibration_key("reference", method, colour, erosion,
                                                                        region), ([], []))
                            xs.append(x)
                            ss.append(copy.severity)  # as applied (the fold guard may lower it)
                bar.update(1)
    return samples


def run_calibration(paths, out, limit=200, severities=SEVERITIES, seed=0, progress=True) -> dict:
    from ..stats.agreement import spearman

    started = time.perf_counter()
    faces, skipped = control_faces(paths, limit, progress)
    if len(faces) < 4:
        raise _core.InputError(f"calibrate-score: found {len(faces)} usable faces in the inputs; need 4 or more")
    target = round(float(np.median([eye_distance(lm) for _, _, lm in faces])), 2)
    faces = [at_eye_distance(face, target) for face in faces]
    samples = calibration_samples(faces, severities, seed=seed, progress=progress)
    curves, stats = {}, {}
    for key, (xs, ss) in samples.items():
        curves[key] = fit_normality_curve(xs, ss)
        finite = np.asarray(ss) > 0  # severity 0 pairs are identical (capped); rank the others
        rho = spearman(np.asarray(xs)[finite], -np.asarray(ss)[finite]).r
        stats[key] = {"n": len(xs), "spearman_score_vs_normality": round(float(rho), 4)}
    info = {"created_by": "facenorm calibrate-score", "faces": len(faces), "eye_distance": target,
            "severities": list(severities),
            "seed": seed, "input_folders": sorted({Path(p).parent.name for p, _, _ in faces}),
            "normalizer_note": "reference = the untouched control face (an ideal normalizer)"}
    save_calibration(out, curves, info, stats)
    return {"out": str(out), "faces": len(faces), "skipped": len(skipped), "curves": len(curves),
            "seconds": round(time.perf_counter() - started, 2)}
