"""The benchmark's picture: for a few faces, the mouth of each LT-v2 copy and of every
normalizer's output, side by side (rows: face x severity; columns: copy, normalizers)."""
import cv2
import numpy as np

from .. import _core

__all__ = ["FIGURE_SEVERITIES", "TILE", "HEADER", "examples_figure", "severity_curves"]

FIGURE_SEVERITIES = (0.0, 0.5, 1.0)
TILE = 160
HEADER = 22


def _label(text: str, width: int, height: int) -> np.ndarray:
    tile = np.full((height, width, 3), 255, np.uint8)
    cv2.putText(tile, text[:22], (3, height - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1, cv2.LINE_AA)
    return tile


def _crop(image, landmarks) -> np.ndarray:
    return _core.crop_region(np.ascontiguousarray(image), landmarks, "mouth", TILE, 0.1).image


def examples_figure(faces, specs) -> np.ndarray:
    """faces: [(control image, control landmarks, {severity: {"copy": img, spec: img}})]."""
    columns = ["LT-v2 copy"] + [s for s in specs if s != "none"]  # none = the copy itself
    rows = [np.hstack([_label("", 70, HEADER)] + [_label(c, TILE, HEADER) for c in columns])]
    for image, landmarks, examples in faces:
        for severity in FIGURE_SEVERITIES:
            if severity not in examples:
                continue
            tiles = [_crop(examples[severity][c if c != "LT-v2 copy" else "copy"], landmarks) for c in columns]
            rows.append(np.hstack([_label(f"sev {severity:g}", 70, TILE)] + tiles))
    return np.ascontiguousarray(np.vstack(rows))


def severity_curves(rows, specs, title: str = "") -> np.ndarray:
    """RGB picture of two panels against LT-v2 severity, one line per normalizer: the normalized
    upper lip's mean distance to the control's (`none` = the copy's own), and the median score S
    (median: a face the normalizer leaves untouched scores the cap, 20.7)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    severities = sorted({r.severity for r in rows})
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for k, spec in enumerate(specs):
        mine = [r for r in rows if r.normalizer == spec]
        lip = [np.mean([r.d_control for r in mine if r.severity == s]) for s in severities]
        left.plot(severities, lip, marker="o", label=spec, color=f"C{k}")
        if spec != "none":  # `none` scores the cap: nothing was changed
            right.plot(severities, [np.median([r.score for r in mine if r.severity == s]) for s in severities],
                       marker="o", label=spec, color=f"C{k}")
    left.set(xlabel="LT-v2 severity", ylabel="upper lip → control, px (dlib)", title="anomaly left after normalizing")
    right.set(xlabel="LT-v2 severity", ylabel="S (eq. 6), larger = more normal", title="score of copy vs normalized")
    left.legend(fontsize=7)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.canvas.draw()
    picture = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return picture
