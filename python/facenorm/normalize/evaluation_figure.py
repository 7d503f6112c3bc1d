"""The benchmark's picture: for a few faces, the mouth of each LT-v2 copy and of every
normalizer's output, side by side (rows: face x severity; columns: copy, normalizers)."""
import cv2
import numpy as np

from .. import _core

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
