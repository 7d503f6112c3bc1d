"""`facenorm evaluate-appraisal`: the appraisal measured without patient photos, by age group,
beside today's `statistical` + PSE pair score in the same run (docs/results.md).

On the evaluation half of the held-out normal faces (never fitted, never calibrated on):
- false alarms: the share of normal faces whose normality is below 5 (the calibration's 95th
  percentile of anomaly), per age group;
- anomalous copies of each face: LT-v2 with the real cleft shapes (../shared/data/clp_lip_shapes)
  and the realistic synthetic clefts (facenorm.synthesize_cleft, one kind per face in turn), at
  severities 0.25-1; AUC of normal against each kind and severity (higher anomaly = anomalous);
- Spearman rho between severity (0 for the face itself) and score along each face's ladder;
- the share of the map's heat inside the mouth-nose region on the synthetic clefts;
- how much map-inpaint changes the normal faces (share of the face inpainted, mean absolute
  change over the face in 8-bit grey levels): a normal face must come back nearly unchanged.
"""
import glob
import os
import sys

import numpy as np

from .. import _core
from ..stats.agreement import roc_auc, spearman
from .appraise import Appraiser
from .normal_faces import found_faces, normal_face_files

__all__ = ["CLEFT_KINDS", "SEVERITIES", "FALSE_ALARM_NORMALITY", "evaluate_appraisal", "summarize",
           "markdown_table"]

CLEFT_KINDS = ("unilateral_incomplete", "unilateral_complete", "bilateral_incomplete", "bilateral_complete", "repaired")
SEVERITIES = (0.25, 0.5, 0.75, 1.0)
FALSE_ALARM_NORMALITY = 5.0


def _ladders(image, landmarks, index, templates):
    """{kind: [(severity, image)]} of one face: LT-v2 with a real shape, and one cleft kind."""
    from ..lipsynth import lip_transform_v2
    from ..lipsynth.cleft import synthesize_cleft

    kind = CLEFT_KINDS[index % len(CLEFT_KINDS)]
    side = ("left", "right")[(index // len(CLEFT_KINDS)) % 2] if kind != "repaired" else "left"
    out = {"cleft:" + kind: [], "lt-v2": []}
    for s in SEVERITIES:
        out["cleft:" + kind].append((s, synthesize_cleft(image, landmarks, kind=kind, side=side, severity=s,
                                                         seed=index).image))
        if templates:
            try:
                out["lt-v2"].append((s, lip_transform_v2(image, landmarks, templates, severity=s, seed=index).image))
            except _core.FacenormError:
                pass
    return out


class _Statistical:
    """Today's best pair score: the statistical normalizer + PSE in the mouth-nose region."""

    def __init__(self):
        from ..normalize import get_normalizer
        self.normalizer = get_normalizer("statistical")

    def score(self, image, landmarks) -> float:
        from ..score import score_pair
        normalized = self.normalizer.normalize(image, landmarks).image
        return score_pair(image, normalized, landmarks, region="mouth_nose", normalizer="statistical").score


def evaluate_appraisal(data_root, model=None, per_group: int = 40, compare: bool = True, progress: bool = True) -> dict:
    from tqdm import tqdm
    from ..lipsynth import load_lip_template

    appraiser = Appraiser(model=model)
    statistical = _Statistical() if compare else None
    shapes = sorted(glob.glob(os.path.join(os.fspath(data_root), "clp_lip_shapes", "*.npy")))
    templates = {os.path.basename(p): load_lip_template(p) for p in shapes}
    # (face index, age group, kind, severity, anomaly, normality, statistical S, mouth-nose heat,
    #  share of the face inpainted, mean absolute change over the face)
    rows = []
    files = normal_face_files(data_root, "evaluation", per_group=per_group)
    found, skipped = found_faces(files, "evaluation faces (landmarks)", progress)
    for index, (path, group, image, landmarks) in enumerate(tqdm(found, desc="evaluation faces", unit="face",
                                                                 file=sys.stderr, disable=not progress)):
        items = [("normal", 0.0, image)]
        for kind, ladder in _ladders(image, landmarks, index, templates).items():
            items += [(kind, s, im) for s, im in ladder]
        for kind, severity, im in items:
            a = appraiser.appraise(im, landmarks)
            s = statistical.score(im, landmarks) if statistical else float("nan")
            rows.append((index, group or "adult (CelebA)", kind, severity, a.anomaly, a.normality, s,
                         a.region_heat.get("mouth_nose", 0.0)) + inpainting_change(a))
    return summarize(rows, skipped)


def inpainting_change(appraisal) -> tuple:
    """(share of the face's pixels inpainted, mean absolute change over the face, grey levels)."""
    passes, face = appraisal.passes, appraisal.anomaly_map.face > 0
    change = np.abs(passes.normalized.astype(np.float32) - passes.crop.astype(np.float32)).mean(axis=2)
    return float((passes.union > 0)[face].mean()), float(change[face].mean())


def _normal_change(normal) -> dict:
    share, change = np.array([r[8] for r in normal]), np.array([r[9] for r in normal])
    return {"faces": len(normal), "with_a_hole": int(np.sum(share > 0)),
            "inpainted_share_mean": round(float(share.mean()), 5), "inpainted_share_max": round(float(share.max()), 4),
            "mean_abs_change_mean": round(float(change.mean()), 4),
            "mean_abs_change_p95": round(float(np.percentile(change, 95)), 4),
            "mean_abs_change_max": round(float(change.max()), 4)}


def _auc(normal, anomalous):
    if len(normal) < 2 or len(anomalous) < 2 or not (np.all(np.isfinite(normal)) and np.all(np.isfinite(anomalous))):
        return None
    scores = np.concatenate([normal, anomalous])
    labels = np.concatenate([np.zeros(len(normal)), np.ones(len(anomalous))])
    r = roc_auc(scores, labels, n_boot=0)
    return round(r.auc, 4)


def summarize(rows, skipped: int) -> dict:
    faces = sorted({r[0] for r in rows})
    groups = sorted({r[1] for r in rows})
    kinds = sorted({r[2] for r in rows if r[2] != "normal"})
    normal = [r for r in rows if r[2] == "normal"]
    out = {"faces": len(faces), "skipped": skipped, "groups": {}, "kinds": {}, "ladders": {},
           "normal_faces_inpainting": _normal_change(normal) if normal else None,
           "rows": {"columns": ["face", "age_group", "kind", "severity", "anomaly", "normality", "statistical_S",
                                "mouth_nose_heat", "inpainted_share", "mean_abs_change"],
                    "values": [list(r) for r in rows]}}
    for g in groups + ["all"]:
        sel = [r for r in normal if g == "all" or r[1] == g]
        out["groups"][g] = {"faces": len(sel),
                            "false_alarms": round(float(np.mean([r[5] is not None and r[5] < FALSE_ALARM_NORMALITY
                                                                 for r in sel])), 4) if sel else None}
    n_anom = np.array([r[4] for r in normal])
    n_stat = -np.array([r[6] for r in normal])     # S is larger = more normal
    for kind in kinds:
        entry = {}
        for sev in SEVERITIES:
            sel = [r for r in rows if r[2] == kind and r[3] == sev]
            entry[str(sev)] = {"appraisal": _auc(n_anom, [r[4] for r in sel]),
                               "statistical_pse": _auc(n_stat, [-r[6] for r in sel]), "n": len(sel)}
        by_group = {}
        for g in groups:
            sel = [r for r in rows if r[2] == kind and r[3] >= 0.5 and r[1] == g]
            ng = [r for r in normal if r[1] == g]
            by_group[g] = {"appraisal": _auc([r[4] for r in ng], [r[4] for r in sel]),
                           "statistical_pse": _auc([-r[6] for r in ng], [-r[6] for r in sel])}
        entry["by_age_group_severity_0.5_to_1"] = by_group
        heat = [r[7] for r in rows if r[2] == kind]
        entry["mouth_nose_heat_share"] = round(float(np.mean(heat)), 4) if heat else None
        out["kinds"][kind] = entry
        rhos_a, rhos_s = [], []
        for f in faces:
            ladder = sorted([r for r in rows if r[0] == f and (r[2] == kind or r[2] == "normal")], key=lambda r: r[3])
            if len(ladder) == len(SEVERITIES) + 1:
                sev = [r[3] for r in ladder]
                rhos_a.append(spearman(sev, [-r[4] for r in ladder], confidence=0.95).r if np.ptp([r[4] for r in ladder]) else 0.0)
                s_vals = [r[6] for r in ladder]
                if np.all(np.isfinite(s_vals)):
                    rhos_s.append(spearman(sev, s_vals).r if np.ptp(s_vals) else 0.0)
        # rho between severity and score (larger = more normal) is negative when the score follows severity;
        # reported as -rho so that 1 = the score falls monotonically with severity.
        out["ladders"][kind] = {"faces": len(rhos_a),
                                "appraisal_rho": round(-float(np.mean(rhos_a)), 4) if rhos_a else None,
                                "statistical_pse_rho": round(-float(np.mean(rhos_s)), 4) if rhos_s else None}
    return out


def markdown_table(summary: dict) -> str:
    lines = ["| kind | severity | AUC appraisal | AUC statistical+PSE |", "|---|---|---|---|"]
    for kind, entry in summary["kinds"].items():
        for sev in SEVERITIES:
            e = entry[str(sev)]
            lines.append(f"| {kind} | {sev} | {e['appraisal']} | {e['statistical_pse']} |")
    lines += ["", "| age group | normal faces | false alarms (normality < 5) |", "|---|---|---|"]
    for g, e in summary["groups"].items():
        lines.append(f"| {g} | {e['faces']} | {e['false_alarms']} |")
    lines += ["", "| kind | ladder rho appraisal | ladder rho statistical+PSE | mouth-nose heat share |", "|---|---|---|---|"]
    for kind, e in summary["ladders"].items():
        lines.append(f"| {kind} | {e['appraisal_rho']} | {e['statistical_pse_rho']} | "
                     f"{summary['kinds'][kind]['mouth_nose_heat_share']} |")
    change = summary.get("normal_faces_inpainting")
    if change:
        lines += ["", "| normal faces | with a hole | face inpainted (mean / max) | mean abs change, grey levels "
                  "(mean / p95 / max) |", "|---|---|---|---|",
                  f"| {change['faces']} | {change['with_a_hole']} | {change['inpainted_share_mean']} / "
                  f"{change['inpainted_share_max']} | {change['mean_abs_change_mean']} / {change['mean_abs_change_p95']} / "
                  f"{change['mean_abs_change_max']} |"]
    return "\n".join(lines) + "\n"
