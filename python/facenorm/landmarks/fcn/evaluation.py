"""`facenorm evaluate-landmarks`: several landmarkers on the same samples (the same images and
detector boxes), NME by group (nme.py), the mask agreement on CelebAMask-HQ normal faces
(mask_agreement.py), and pictures.

Writes rows.csv (one row per sample and landmarker), table.md, paired.md (each landmarker against
the first on the same faces: how many it beats, Wilcoxon signed-rank p), summary.json and
overlays.png (the truth in red, each landmarker in its colour, on the faces where they disagree
most).
"""
import csv
import json
import os
import warnings
from collections import defaultdict

import cv2
import numpy as np

from ... import _core
from ...parsing.labels import celebamask_mask_path, read_label_map
from . import mask_agreement
from .asymmetry_error import asymmetry_error
from .nme import nme

__all__ = ["MEASURES", "COLOURS", "sample_rows", "summarize", "markdown_table", "PAIRED_MEASURES",
           "paired_comparison", "paired_table", "overlays", "write_report"]

MEASURES = ("nme_eq3", "nme_box", "nme_io", "nme_io_inner", "asym_err")
COLOURS = [(255, 255, 255), (0, 160, 255), (0, 220, 0), (255, 0, 255)]  # RGB, one per landmarker


def sample_rows(samples) -> list:
    rows = []
    mask_cache = {}
    for name, pred in samples.predictions.items():
        errors = {**nme(pred, samples.truth), "asym_err": asymmetry_error(pred, samples.truth)}
        for i in range(len(samples)):
            row = {"sample": i, "path": samples.paths[i], "group": samples.groups[i], "label": samples.labels[i],
                   "landmarker": name, **{m: round(float(errors[m][i]), 4) for m in MEASURES}}
            if samples.groups[i] == "normal":
                path = samples.paths[i]
                if path not in mask_cache:
                    mask_cache[path] = read_label_map(celebamask_mask_path(path), _image_size(path))
                if mask_cache[path] is not None:
                    hits = mask_agreement.part_hits(pred[i], mask_cache[path])
                    row.update({f"mask_{k}": round(v, 4) for k, v in hits.items()})
                    row["mask_all"] = round(float(np.mean(list(hits.values()))), 4)
            rows.append(row)
    return rows


def _image_size(path):
    with open(path, "rb") as f:
        header = _core.read_image_header(f.read(65536))
    return int(header["height"]), int(header["width"])


def summarize(rows) -> dict:
    """{group: {landmarker: {measure: {"mean", "std", "n"}}}} plus an "all" group."""
    acc = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for r in rows:
        for group in (r["group"], "all"):
            for k, v in r.items():
                if k in MEASURES or k.startswith("mask_"):
                    acc[group][r["landmarker"]][k].append(v)
    return {g: {lm: {k: {"mean": float(np.mean(v)), "std": float(np.std(v)), "n": len(v)} for k, v in ms.items()}
                for lm, ms in by.items()} for g, by in acc.items()}


def markdown_table(summary: dict) -> str:
    lines = ["| group | landmarker | n | NME eq. 3 (%) | NME box (%) | NME inter-ocular (%) | "
             "NME inter-ocular, inner 51 (%) | asymmetry error (% IOD) | on the mask part |",
             "|---|---|---|---|---|---|---|---|---|"]
    for group in sorted(summary, key=lambda g: (g == "all", g)):
        for lm, ms in summary[group].items():
            cell = lambda k: f"{ms[k]['mean']:.2f} ± {ms[k]['std']:.2f}" if k in ms else "—"
            mask = f"{100 * ms['mask_all']['mean']:.1f}%" if "mask_all" in ms else "—"
            lines.append(f"| {group} | {lm} | {ms['nme_box']['n']} | {cell('nme_eq3')} | {cell('nme_box')} | "
                         f"{cell('nme_io')} | {cell('nme_io_inner')} | {cell('asym_err')} | {mask} |")
    return "\n".join(lines) + "\n"


PAIRED_MEASURES = ("nme_io", "nme_io_inner", "asym_err")


def paired_comparison(rows) -> dict:
    """{group: {landmarker: {measure: {"better", "worse", "n", "p"}}}}: each landmarker against the
    first one in `rows` on the same samples; p is the two-sided Wilcoxon signed-rank test (None
    where every difference is zero)."""
    from scipy.stats import wilcoxon

    names = list(dict.fromkeys(r["landmarker"] for r in rows))
    value = {(r["landmarker"], r["sample"]): r for r in rows}
    out = defaultdict(dict)
    for group in sorted({r["group"] for r in rows}):
        index = [r["sample"] for r in rows if r["landmarker"] == names[0] and r["group"] == group]
        for name in names[1:]:
            res = {}
            for m in PAIRED_MEASURES:
                a = np.array([value[(names[0], i)][m] for i in index])
                b = np.array([value[(name, i)][m] for i in index])
                with warnings.catch_warnings():  # scipy's notes on ties and small samples; p is still defined
                    warnings.simplefilter("ignore")
                    p = float(wilcoxon(a, b).pvalue) if np.any(a != b) else None
                res[m] = {"better": int((b < a).sum()), "worse": int((b > a).sum()), "n": len(index), "p": p}
            out[group][name] = res
    return dict(out)


def paired_table(paired: dict, reference: str) -> str:
    def cell(r):
        p = "—" if r["p"] is None else f"{r['p']:.1g}"
        return f"{r['better']} / {r['worse']} of {r['n']} (p {p})"

    lines = ["| group | landmarker | " + " | ".join(f"{m}: better / worse than {reference}" for m in PAIRED_MEASURES)
             + " |", "|---|---|" + "---|" * len(PAIRED_MEASURES)]
    for group, by in paired.items():
        for name, res in by.items():
            lines.append(f"| {group} | {name} | " + " | ".join(cell(res[m]) for m in PAIRED_MEASURES) + " |")
    return "\n".join(lines) + "\n"


def overlays(samples, count: int = 6, tile: int = 256) -> np.ndarray:
    """Crops of the samples where the landmarkers differ most, truth red, each landmarker coloured."""
    from .crop import to_crop
    names = list(samples.predictions)
    if len(names) >= 2:
        gap = np.linalg.norm(samples.predictions[names[0]] - samples.predictions[names[1]], axis=2).mean(1)
    else:
        gap = np.linalg.norm(samples.predictions[names[0]] - samples.truth, axis=2).mean(1)
    order = np.argsort(-gap)[:count]
    tiles = []
    k = tile / samples.crops.shape[1]
    for i in order:
        im = cv2.cvtColor(cv2.resize(samples.crops[i], (tile, tile), interpolation=cv2.INTER_CUBIC), cv2.COLOR_GRAY2RGB)
        for pts, colour in [(samples.truth[i], (255, 0, 0))] + [(samples.predictions[n][i], COLOURS[j % 4])
                                                                for j, n in enumerate(names)]:
            for x, y in to_crop(pts, samples.transforms[i]) * k:
                cv2.circle(im, (int(round(x)), int(round(y))), 2, colour, -1, cv2.LINE_AA)
        cv2.putText(im, samples.groups[i], (4, 14), cv2.FONT_HERSHEY_PLAIN, 1.0, (255, 255, 0), 1, cv2.LINE_AA)
        tiles.append(im)
    legend = np.full((22, tile * len(tiles), 3), 255, np.uint8)
    x = 4
    for text, colour in [("truth", (255, 0, 0))] + [(n, COLOURS[j % 4]) for j, n in enumerate(names)]:
        cv2.putText(legend, text, (x, 16), cv2.FONT_HERSHEY_PLAIN, 1.1, colour if colour != (255, 255, 255)
                    else (90, 90, 90), 1, cv2.LINE_AA)
        x += 12 * len(text) + 20
    return np.vstack([legend, np.hstack(tiles)])


def write_report(samples, out_dir) -> dict:
    from ..._core import write_image
    os.makedirs(out_dir, exist_ok=True)
    rows = sample_rows(samples)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    tmp = os.path.join(out_dir, ".rows.csv.partial")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, os.path.join(out_dir, "rows.csv"))
    summary = summarize(rows)
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(markdown_table(summary))
    paired = paired_comparison(rows) if len(samples.predictions) > 1 else {}
    if paired:
        with open(os.path.join(out_dir, "paired.md"), "w") as f:
            f.write(paired_table(paired, next(iter(samples.predictions))))
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump({"samples": len(samples), "skipped": samples.skipped, "summary": summary, "paired": paired}, f,
                  indent=1)
    write_image(os.path.join(out_dir, "overlays.png"), overlays(samples))
    return summary
