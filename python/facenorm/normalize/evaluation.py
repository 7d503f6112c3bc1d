"""The normalization benchmark (`facenorm evaluate-normalizer`).

For each held-out control face and its LT-v2 copies at severities 0, 0.25, 0.5, 0.75, 1 (one
template per face, drawn with the seed), every normalizer normalizes every copy; then

* identity kept: dlib face-recognition embedding distance, copy vs its normalized version
  (< 0.6 = same person for that model);
* anomaly removed: dlib's upper-lip landmarks (49-53) on the normalized copy, their mean distance
  to the control's (d_control) and to the copy's (d_copy); `removed` is the share of the copy's
  departure from the control that normalization took away, 1 - d_control / d(copy, control);
* order preserved: Spearman's rho between severity and the anomaly score -S (S of eq. 6, PSE in
  YCbCr with erosion 3 over mouth_nose, copy vs normalized), per face, then averaged.

Landmarks given to the normalizers are dlib's on the copy (`landmarks="detected"`, what a user
has) or the transform's exact ones (`"exact"`). Landmarks of normalized images are predicted
inside the control face's detected box (the images are pixel-aligned), so no detection can fail.
"""
import csv
import json
import math
import os
import sys
import time
from dataclasses import dataclass, asdict

import numpy as np

from .. import _core
from ..lipsynth import default_lip_templates, lip_transform_v2
from ..lipsynth.templates import choose_template, lip_templates_in
from ..score.pair_score import score_pair
from ..stats import spearman
from .identity import SAME_PERSON_DISTANCE, identity_distance
from .registry import get_normalizer

__all__ = ["SEVERITIES", "UPPER_LIP", "Row", "upper_lip_distance", "evaluate_face", "summarize", "markdown_table",
           "read_rows", "run_evaluation", "summary_title"]

SEVERITIES = (0.0, 0.25, 0.5, 0.75, 1.0)
UPPER_LIP = np.arange(49, 54)


@dataclass
class Row:
    face: str
    template: str
    severity: float
    normalizer: str
    identity: float
    d_control: float     # normalized upper lip vs the control's, px (dlib on both)
    d_copy: float        # normalized upper lip vs the copy's, px
    d_copy_control: float  # the copy's departure from the control, px
    score: float         # S, copy vs normalized
    ms: float            # normalization time


def upper_lip_distance(a, b) -> float:
    return float(np.linalg.norm(a[UPPER_LIP] - b[UPPER_LIP], axis=1).mean())


def evaluate_face(path, image, pipeline, normalizers, templates, seed, landmarks_mode, severities=SEVERITIES):
    """Rows for one control face (all severities x normalizers) and the images for the figure."""
    face = pipeline.faces(image)[0]
    control_lm = face.landmarks
    name, template = choose_template(templates, seed)
    rows, examples = [], {}
    for severity in severities:
        copy = lip_transform_v2(image, control_lm, template, severity, seed)
        detected = pipeline.predictor.predict(copy.image, face.box)
        given = detected if landmarks_mode == "detected" else copy.landmarks_after
        examples[severity] = {"copy": copy.image}
        for spec, normalizer in normalizers.items():
            started = time.perf_counter()
            result = normalizer.normalize(copy.image, given)
            ms = 1000 * (time.perf_counter() - started)
            after = pipeline.predictor.predict(result.image, face.box)
            s = score_pair(copy.image, result.image, given, region="mouth_nose").score
            rows.append(Row(os.path.basename(path), name, severity, spec,
                            identity_distance(copy.image, result.image, given),
                            upper_lip_distance(after, control_lm), upper_lip_distance(after, detected),
                            upper_lip_distance(detected, control_lm), s, ms))
            examples[severity][spec] = result.image
    return rows, examples, control_lm


def summarize(rows, specs) -> list:
    """One summary dict per normalizer (the benchmark table)."""
    table = []
    for spec in specs:
        mine = [r for r in rows if r.normalizer == spec]
        moved = [r for r in mine if r.severity > 0]
        rhos = []
        for face in sorted({r.face for r in mine}):
            per = sorted((r.severity, -r.score) for r in mine if r.face == face)
            try:  # undefined (NaN) when every score is the same, e.g. `none` (S capped)
                rho = spearman([p[0] for p in per], [p[1] for p in per]).r
            except _core.InputError:
                rho = float("nan")
            if math.isfinite(rho):
                rhos.append(rho)
        ident = np.array([r.identity for r in mine])
        top = [r for r in mine if r.severity == max(SEVERITIES)]
        removed = [1 - r.d_control / r.d_copy_control for r in moved if r.d_copy_control > 0.5]
        table.append({
            "normalizer": spec,
            "faces": len({r.face for r in mine}),
            "identity_mean": float(ident.mean()) if len(ident) else float("nan"),
            "same_person": float((ident < SAME_PERSON_DISTANCE).mean()) if len(ident) else float("nan"),
            "d_control": float(np.mean([r.d_control for r in moved])) if moved else float("nan"),
            "d_copy": float(np.mean([r.d_copy for r in moved])) if moved else float("nan"),
            "d_copy_control": float(np.mean([r.d_copy_control for r in moved])) if moved else float("nan"),
            "d_control_severity_1": float(np.mean([r.d_control for r in top])) if top else float("nan"),
            "d_copy_control_severity_1": float(np.mean([r.d_copy_control for r in top])) if top else float("nan"),
            "closer_to_control": float(np.mean([r.d_control < r.d_copy for r in moved])) if moved else float("nan"),
            "removed": float(np.median(removed)) if removed else float("nan"),
            "spearman_rho": float(np.mean(rhos)) if rhos else float("nan"),
            "spearman_faces": len(rhos),
            "normal_face_change": float(np.mean([r.d_control for r in mine if r.severity == 0])) if mine else float("nan"),
            "ms_per_face": float(np.median([r.ms for r in mine])) if mine else float("nan"),
        })
    return table


def markdown_table(table) -> str:
    head = ("| normalizer | identity distance (mean) | same person (< 0.6) | upper lip → control at severity 1, px "
            "(copy → normalized) | closer to control than the copy (severity > 0) | anomaly removed (median) "
            "| Spearman ρ (severity, −S) | ms/face |\n|---|---|---|---|---|---|---|---|\n")

    def f(v, d=3):
        return "n/a" if v is None or not math.isfinite(v) else f"{v:.{d}f}"
    lines = [f"| `{t['normalizer']}` | {f(t['identity_mean'])} | {f(100 * t['same_person'], 1)}% "
             f"| {f(t['d_copy_control_severity_1'], 2)} → {f(t['d_control_severity_1'], 2)} "
             f"| {f(100 * t['closer_to_control'], 1)}% | {f(100 * t['removed'], 1)}% | {f(t['spearman_rho'])} "
             f"| {f(t['ms_per_face'], 1)} |" for t in table]
    return head + "\n".join(lines) + "\n"


def read_rows(path) -> list:
    """Rows back from a rows.csv the benchmark wrote (to re-summarize without re-running)."""
    with open(path, newline="") as f:
        return [Row(r["face"], r["template"], float(r["severity"]), r["normalizer"],
                    *(float(r[k]) for k in ("identity", "d_control", "d_copy", "d_copy_control", "score", "ms")))
                for r in csv.DictReader(f)]


def run_evaluation(paths, out_dir, normalizer_specs, limit: int = 50, templates=None, seed: int = 0,
                   landmarks: str = "detected", progress: bool = True, figure_faces: int = 3) -> dict:
    """Runs the benchmark; writes rows.csv, table.md, summary.json, examples.png and curves.png
    (lip distance and S against severity) into out_dir."""
    from tqdm import tqdm

    from ..pipeline import FacePipeline
    from .evaluation_figure import examples_figure, severity_curves

    started = time.perf_counter()
    if landmarks not in ("detected", "exact"):
        raise _core.InputError(f"landmarks: expected detected or exact, got '{landmarks}'")
    specs = ["none"] + [s for s in normalizer_specs if s != "none"]
    normalizers = {repr(n): n for n in (get_normalizer(s) for s in specs)}
    template_set = lip_templates_in(templates) if templates else default_lip_templates()
    os.makedirs(out_dir, exist_ok=True)
    pipeline = FacePipeline()
    rows, skipped, figure = [], [], []
    for k, path in enumerate(tqdm(paths[:limit], desc="evaluate-normalizer", unit="face", file=sys.stderr,
                                  disable=not progress)):
        try:
            image = _core.read_image(path)
            face_rows, examples, control_lm = evaluate_face(path, image, pipeline, normalizers, template_set,
                                                            seed + k, landmarks)
        except (_core.InputError, _core.ImageDecodeError) as e:  # no face, unreadable, a normalizer refused
            skipped.append({"source": path, "error": f"{type(e).__name__}: {e}"})
            continue
        rows += face_rows
        if len(figure) < figure_faces:
            figure.append((image, control_lm, examples))
    table = summarize(rows, list(normalizers))
    _write_csv(os.path.join(out_dir, "rows.csv"), rows)
    md = markdown_table(table)
    _atomic_text(os.path.join(out_dir, "table.md"), md)
    if figure:
        _core.write_image(os.path.join(out_dir, "examples.png"), examples_figure(figure, list(normalizers)))
    if rows:
        _core.write_image(os.path.join(out_dir, "curves.png"),
                          severity_curves(rows, list(normalizers), summary_title(rows, landmarks)))
    summary = {"out": os.path.abspath(out_dir), "faces": len({r.face for r in rows}), "skipped": skipped,
               "severities": list(SEVERITIES), "templates": os.path.abspath(templates) if templates else "builtin",
               "landmarks": landmarks, "seed": seed, "table": table,
               "seconds": round(time.perf_counter() - started, 1)}
    _atomic_text(os.path.join(out_dir, "summary.json"), json.dumps(summary, indent=1, default=float))
    return summary


def summary_title(rows, landmarks: str) -> str:
    return f"{len({r.face for r in rows})} faces, {landmarks} landmarks given to the normalizers"


def _atomic_text(path, text: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _write_csv(path, rows) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", newline="") as f:
        fields = list(Row.__dataclass_fields__)
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow(asdict(r))
    os.replace(tmp, path)
