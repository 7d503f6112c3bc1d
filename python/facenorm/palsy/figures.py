"""The palsy assessment's cross-validated figures as a picture: ROC curves of p_palsy (palsy
against healthy) for each set of out-of-fold probabilities given, and the calibration of the
first (predicted against observed frequency per bin, bin sizes as labels). No photo is drawn."""
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..files import atomic_write
from ..stats.agreement import roc_auc
from .assessment_training import calibration_table

__all__ = ["DPI", "roc_calibration_figure"]

DPI = 150


def _roc(p, y):
    order = np.argsort(-p)
    tp = np.concatenate([[0], np.cumsum(y[order] == 1)]) / max(1, (y == 1).sum())
    fp = np.concatenate([[0], np.cumsum(y[order] == 0)]) / max(1, (y == 0).sum())
    return fp, tp


def roc_calibration_figure(curves: dict, y, path) -> str:
    """curves: {label: out-of-fold p_palsy (N,)} (the first is calibrated); y: 1 palsy, 0 healthy."""
    y = np.asarray(y, np.float64)
    fig = Figure(figsize=(9.0, 4.0))
    FigureCanvasAgg(fig)
    roc_ax, cal_ax = fig.subplots(1, 2)
    for label, p in curves.items():
        p = np.asarray(p, np.float64)
        fp, tp = _roc(p, y)
        roc_ax.plot(fp, tp, label=f"{label} (AUC {roc_auc(p, y, n_boot=0).auc:.2f})")
    roc_ax.plot([0, 1], [0, 1], color="0.7", linestyle="--", linewidth=1)
    roc_ax.set(xlabel="false alarms (healthy called palsy)", ylabel="palsy found", title="ROC, out of fold")
    roc_ax.legend(loc="lower right", fontsize=8)
    first_label, first = next(iter(curves.items()))
    rows = calibration_table(np.asarray(first, np.float64), y)
    cal_ax.plot([0, 1], [0, 1], color="0.7", linestyle="--", linewidth=1)
    cal_ax.plot([r["predicted"] for r in rows], [r["observed"] for r in rows], "o-")
    for r in rows:
        cal_ax.annotate(f"n={r['n']}", (r["predicted"], r["observed"]), textcoords="offset points",
                        xytext=(4, -10), fontsize=7)
    cal_ax.set(xlim=(0, 1), ylim=(0, 1.05), xlabel="mean predicted p_palsy", ylabel="observed share of palsy",
               title=f"calibration, out of fold ({first_label})")
    fig.tight_layout()
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))
