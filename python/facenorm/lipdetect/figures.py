"""Pictures of the ICMI 2024 paper's results, drawn with matplotlib's Agg canvas (no display):

- accuracy_bar_figure: Figs. 5 and 7, mean accuracy per subset and model, std as error bars,
  `*` where the first model is significantly better than the second;
- cam_grid_figure / cam_overlay: Fig. 6, each lip crop next to its class activation map
  (jet colours, blue = low weight, red = high), the model's p(abnormal) on top;
- training_curve_figure: train/dev loss and dev accuracy per epoch, best (early-stopping) epoch marked.

Every figure is written as a PNG (150 dpi) to a temporary file and renamed onto `path`.
"""
import math
import numbers
from typing import Dict, Optional, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._core import InputError, InputTypeError
from ..files import atomic_write
from .tables import subset_title

__all__ = ["DPI", "CAM_ALPHA", "accuracy_bar_figure", "resize_bilinear", "normalized_cam", "cam_overlay",
           "cam_grid_figure", "training_curve_figure"]

DPI = 150
CAM_ALPHA = 0.45  # heat over crop: the lip stays readable under the colours


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)  # Agg canvas on this figure only; pyplot's global backend is left alone
    return fig


def _save_png(fig: Figure, path) -> str:
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))


# ---------------------------------------------------------------- Figs. 5 and 7

def accuracy_bar_figure(summary: Sequence[dict], comparisons: Optional[Dict[str, dict]],
                        models: Sequence[str], subsets: Sequence[str], path, title: Optional[str] = None) -> str:
    """Grouped bars: one group per subset (x), one colour per model, bar = mean accuracy over runs
    with its value printed on top, error bar = std over runs; `*` above a subset whose comparison
    (compare_models(rows, models[0], models[1])) is significant. summary: summarize_runs output;
    a missing (model, subset) leaves a gap. Writes a PNG; returns path."""
    entries = {(str(e["model"]), str(e["subset"])): e for e in summary}
    models, subsets = list(models), list(subsets)
    if not models or not subsets:
        raise InputError(f"expected at least one model and one subset, got models={models} subsets={subsets}")
    comparisons = comparisons or {}
    width = 0.8 / len(models)
    fig = _new_figure(max(5.0, 1.1 + 0.55 * len(models) * len(subsets)), 4.0)
    ax = fig.add_subplot()
    tops = np.zeros(len(subsets))
    for k, model in enumerate(models):
        for j, subset in enumerate(subsets):
            entry = entries.get((model, subset))
            if entry is None:
                continue
            x = j + (k - (len(models) - 1) / 2) * width
            mean, std = float(entry["accuracy_mean"]), float(entry["accuracy_std"])
            ax.bar(x, mean, width * 0.95, yerr=std, capsize=3, color=f"C{k}",
                   error_kw={"elinewidth": 1, "ecolor": "0.2"}, label=model)
            ax.text(x, mean + std + 0.01, f"{mean:.2f}", ha="center", va="bottom", fontsize=7)
            tops[j] = max(tops[j], mean + std)
    for j, subset in enumerate(subsets):
        if len(models) > 1 and comparisons.get(subset, {}).get("significant"):
            ax.text(j, tops[j] + 0.06, "*", ha="center", va="bottom", fontsize=14, fontweight="bold")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))  # one legend entry per model
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="lower left")
    ax.set_xticks(range(len(subsets)), [subset_title(s) for s in subsets], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("Accuracy")
    ax.set_ylim(0.0, max(1.0, float(tops.max())) + 0.15)
    ax.grid(axis="y", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _save_png(fig, path)


# ---------------------------------------------------------------- Fig. 6 (CAM)

def resize_bilinear(plane: np.ndarray, height: int, width: int) -> np.ndarray:
    """float64 (height, width) from a real (h, w) array by bilinear interpolation with pixel
    centres aligned (the convention of cv2.resize INTER_LINEAR / torch align_corners=False)."""
    plane = np.asarray(plane, dtype=np.float64)

    def taps(out_size: int, in_size: int):
        src = np.clip((np.arange(out_size) + 0.5) * in_size / out_size - 0.5, 0, in_size - 1)
        lo = np.floor(src).astype(np.intp)
        return lo, np.minimum(lo + 1, in_size - 1), src - lo

    y0, y1, wy = taps(height, plane.shape[0])
    x0, x1, wx = taps(width, plane.shape[1])
    rows = plane[y0] * (1 - wy)[:, None] + plane[y1] * wy[:, None]
    return rows[:, x0] * (1 - wx) + rows[:, x1] * wx


def _checked_crop(crop) -> np.ndarray:
    if not isinstance(crop, np.ndarray) or crop.dtype != np.uint8:
        raise InputTypeError(f"crop: expected a uint8 RGB array (S, S, 3), got "
                             f"{getattr(crop, 'dtype', type(crop).__name__)}")
    if crop.ndim != 3 or crop.shape[2] != 3 or min(crop.shape[:2]) < 1:
        raise InputError(f"crop: expected shape (S, S, 3) RGB, got {crop.shape}")
    return crop


def _checked_cam(cam) -> np.ndarray:
    if not isinstance(cam, np.ndarray) or cam.dtype.kind not in "fiu":
        raise InputTypeError(f"cam: expected a real-valued (h, w) array, got "
                             f"{getattr(cam, 'dtype', type(cam).__name__)}")
    if cam.ndim != 2 or min(cam.shape) < 1:
        raise InputError(f"cam: expected a 2-D (h, w) map with h, w >= 1, got shape {cam.shape}")
    if not np.all(np.isfinite(cam)):
        raise InputError("cam: expected finite values, found NaN or inf")
    return cam


def normalized_cam(cam: np.ndarray, height: int, width: int) -> np.ndarray:
    """float64 (height, width) in [0, 1]: the CAM resized bilinearly, its positive part (what
    pushed the decision towards abnormal) divided by the map's largest magnitude. So a face the
    model finds normal (a mostly negative map) stays blue instead of being stretched to red, and
    a map with no positive part is all zeros (all blue)."""
    plane = resize_bilinear(_checked_cam(cam), height, width)
    scale = float(np.abs(plane).max())
    return np.clip(plane, 0.0, None) / scale if scale > 0 else np.zeros_like(plane)


def cam_overlay(crop: np.ndarray, cam: np.ndarray, alpha: float = CAM_ALPHA) -> np.ndarray:
    """uint8 (S, S, 3) RGB: the crop blended with the jet-coloured CAM (blue low -> red high),
    out = (1 - alpha) * crop + alpha * jet(cam). crop: uint8 (S, S, 3) RGB (any H x W works);
    cam: real (h, w) of any size, resized to the crop and scaled to [0, 1] (normalized_cam)."""
    crop = _checked_crop(crop)
    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"alpha: expected a blend weight in [0, 1], got {alpha}")
    level = normalized_cam(cam, crop.shape[0], crop.shape[1])
    heat = colormaps["jet"](level)[..., :3] * 255.0
    out = (1.0 - alpha) * crop.astype(np.float64) + alpha * heat
    return np.ascontiguousarray(np.clip(np.rint(out), 0, 255).astype(np.uint8))


def _probability(index: int, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
        raise InputError(f"items[{index}]['p_abnormal']: expected a probability in [0, 1], got {value!r}")
    return float(value)


def cam_grid_figure(items: Sequence[dict], path, columns: int = 3) -> str:
    """Fig. 6: a grid of `columns` cells per row; each cell is the crop and, to its right, the
    crop overlaid with its CAM (cam_overlay), under "p = 0.93" (and the item's title, if any).
    items: dicts {"crop": uint8 (S, S, 3) RGB, "cam": real (h, w), "p_abnormal": float in [0, 1],
    "title": optional str}. Writes a PNG; returns path."""
    items = list(items)
    if not items:
        raise InputError("items: expected at least one {'crop', 'cam', 'p_abnormal'} dict")
    if isinstance(columns, bool) or not isinstance(columns, numbers.Integral) or columns < 1:
        raise InputError(f"columns: expected a positive integer, got {columns!r}")
    cells = []
    for i, item in enumerate(items):
        missing = [k for k in ("crop", "cam", "p_abnormal") if k not in item]
        if missing:
            raise InputError(f"items[{i}]: missing key(s) {missing}")
        p = _probability(i, item["p_abnormal"])
        caption = f"p = {p:.2f}" if not item.get("title") else f"{item['title']}\np = {p:.2f}"
        cells.append((item["crop"], cam_overlay(item["crop"], item["cam"]), caption))
    columns = min(columns, len(cells))
    rows = math.ceil(len(cells) / columns)
    fig = _new_figure(3.2 * columns, 1.95 * rows)
    grid = fig.subfigures(rows, columns, squeeze=False)
    for cell, (crop, overlay, caption) in zip(grid.flat, cells):
        cell.suptitle(caption, fontsize=9)
        cell.subplots_adjust(left=0.03, right=0.97, bottom=0.03, top=0.8, wspace=0.06)  # pair sits close
        for ax, picture in zip(cell.subplots(1, 2), (crop, overlay)):
            ax.imshow(picture, interpolation="bilinear")
            ax.set_axis_off()
    return _save_png(fig, path)


# ---------------------------------------------------------------- training curves

def _history_value(i: int, entry: dict, key: str) -> float:
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"history[{i}]['{key}']: expected a number, got {value!r}")
    return float(value)  # NaN allowed: a diverged epoch is drawn as a gap


def training_curve_figure(history: Sequence[dict], path) -> str:
    """Train and dev loss per epoch (left axis) and dev accuracy (right axis, when every entry has
    one), with the best epoch (lowest dev loss, the early-stopping criterion) marked.
    history: dicts {"epoch": int, "train_loss", "dev_loss", "dev_accuracy" (optional)}, any order.
    Writes a PNG; returns path."""
    history = list(history)
    if not history:
        raise InputError("history: expected at least one epoch")
    for i, entry in enumerate(history):
        missing = [k for k in ("epoch", "train_loss", "dev_loss") if k not in entry]
        if missing:
            raise InputError(f"history[{i}]: missing key(s) {missing}")
    order = sorted(range(len(history)), key=lambda i: history[i]["epoch"])
    epochs = np.array([_history_value(i, history[i], "epoch") for i in order])
    train = np.array([_history_value(i, history[i], "train_loss") for i in order])
    dev = np.array([_history_value(i, history[i], "dev_loss") for i in order])
    has_accuracy = all(history[i].get("dev_accuracy") is not None for i in order)

    fig = _new_figure(6.0, 4.4)
    ax = fig.add_subplot()
    lines = ax.plot(epochs, train, marker=".", color="C0", label="train loss")
    lines += ax.plot(epochs, dev, marker=".", color="C1", label="dev loss")
    if np.any(np.isfinite(dev)):
        best = int(np.nanargmin(dev))
        ax.axvline(epochs[best], color="0.4", linestyle="--", linewidth=1)
        lines += ax.plot([epochs[best]], [dev[best]], "o", color="C3", markersize=8,
                         label=f"best epoch {epochs[best]:g} (dev loss {dev[best]:.3f})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    ax.grid(alpha=0.3)
    if has_accuracy:
        right = ax.twinx()
        accuracy = np.array([_history_value(i, history[i], "dev_accuracy") for i in order])
        lines += right.plot(epochs, accuracy, marker=".", color="C2", linestyle=":", label="dev accuracy")
        right.set_ylabel("dev accuracy")
    # below the plot: the curves can pass anywhere inside it
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, ncol=2, loc="upper center",
              bbox_to_anchor=(0.5, -0.16))
    fig.tight_layout()
    return _save_png(fig, path)
