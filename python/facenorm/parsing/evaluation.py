"""Parsing metrics by group (eqs. 9-11 of the parsing paper, computed in C++ from a confusion
matrix) and the table in the layout of its Table 1."""
import json
import os

import numpy as np

from .labels import CLASSES, overlay

__all__ = ["metrics_by_group", "markdown_table", "write_report"]


def metrics_by_group(predicted: np.ndarray, truth: np.ndarray, groups) -> dict:
    import torch

    from .. import nets

    out = {}
    for g in sorted(set(groups)) + ["all"]:
        sel = [i for i, x in enumerate(groups) if g in ("all", x)]
        conf = nets.parsing_confusion(torch.from_numpy(predicted[sel].astype(np.int64)),
                                       torch.from_numpy(truth[sel].astype(np.int64)), len(CLASSES))
        m = nets.parsing_metrics(conf)
        f1 = {c: (None if np.isnan(v) else round(100 * float(v), 2)) for c, v in zip(CLASSES, m["f1"].tolist())}
        iou = {c: (None if np.isnan(v) else round(100 * float(v), 2)) for c, v in zip(CLASSES, m["iou"].tolist())}
        truth_pixels = conf.sum(1).numpy()
        # mean F1 over the face classes this group's truth holds (FPP is absent from normal faces:
        # FPP predicted there shows as fpp_predicted instead)
        parts = [v for k, (c, v) in enumerate(f1.items()) if c != "background" and truth_pixels[k] > 0]
        fpp_predicted = float(conf[:, CLASSES.index("fpp")].sum()) / max(1.0, float(conf.sum()))
        out[g] = {"n": len(sel), "f1": f1, "iou": iou, "mean_f1": round(float(np.mean(parts)), 2) if parts else None,
                  "fpp_predicted": round(100 * fpp_predicted, 3),
                  "mean_iou": round(100 * m["mean_iou"], 2), "pixel_accuracy": round(100 * m["pixel_accuracy"], 2)}
    return out


def markdown_table(metrics: dict) -> str:
    parts = [c for c in CLASSES if c != "background"]
    lines = ["| group | n | " + " | ".join(f"{c} F1" for c in parts) +
             " | mean F1 (%) | mean IoU (%) | PA (%) | pixels called FPP (%) |", "|---" * (len(parts) + 6) + "|"]
    for g, m in metrics.items():
        cells = [("—" if m["f1"][c] is None else f"{m['f1'][c]:.1f}") for c in parts]
        lines.append(f"| {g} | {m['n']} | " + " | ".join(cells) + f" | {m['mean_f1']} | {m['mean_iou']} | "
                     f"{m['pixel_accuracy']} | {m['fpp_predicted']} |")
    return "\n".join(lines) + "\n"


def write_report(images, truth, predicted, groups, out_dir, examples: int = 4) -> dict:
    from .._core import write_image
    os.makedirs(out_dir, exist_ok=True)
    metrics = metrics_by_group(predicted, truth, groups)
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(markdown_table(metrics))
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    pick = [i for i, g in enumerate(groups) if g != "normal"][:examples] or list(range(min(examples, len(images))))
    rows = [np.hstack([images[i], overlay(images[i], truth[i]), overlay(images[i], predicted[i])]) for i in pick]
    write_image(os.path.join(out_dir, "overlays.png"), np.vstack(rows))
    return metrics
