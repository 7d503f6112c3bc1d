"""The severity ladder of every cleft kind on a face: docs/img/cleft_ladder.png.

Rows: the kinds of fn.synthesize_cleft; columns: severity 0, 0.25, 0.5, 0.75, 1 (same seed per
row); each tile is the lower face, cropped around the nose and mouth and enlarged.

    PYTHONPATH=python /usr/bin/python3 scripts/cleft_ladder_figure.py [IMG] [--out PNG] [--side left|right]

With no IMG it uses astronaut.png (the only face photo the docs may show); other photos are for
looking at by eye, never for committing (data rules: ../shared/data/README.md).
"""
import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import facenorm as fn  # noqa: E402
from facenorm.cli.demo import default_inputs  # noqa: E402
from facenorm.lipsynth.cleft import CLEFT_KINDS  # noqa: E402

SEVERITIES = (0.0, 0.25, 0.5, 0.75, 1.0)


def lower_face_box(landmarks, shape):
    """A square around the nose and the upper lip, 1.5 mouth widths wide."""
    p = landmarks.astype(np.float64)
    width = np.linalg.norm(p[54] - p[48])
    centre = 0.5 * (p[30] + p[62])
    half = 0.75 * width
    x0, y0 = np.maximum(np.round(centre - half).astype(int), 0)
    x1, y1 = np.minimum(np.round(centre + half).astype(int), [shape[1], shape[0]])
    return x0, y0, x1, y1


def ladder(image, landmarks, side: str, tile: int, seed: int) -> np.ndarray:
    x0, y0, x1, y1 = lower_face_box(landmarks, image.shape)
    rows = []
    for kind in CLEFT_KINDS:
        row = []
        for s in SEVERITIES:
            r = fn.synthesize_cleft(image, landmarks, kind=kind, side="both" if kind.startswith("bilateral") else side,
                                    severity=s, seed=seed)
            crop = r.image[y0:y1, x0:x1]
            row.append(cv2.resize(crop, (tile, tile), interpolation=cv2.INTER_CUBIC))
        rows.append(cv2.hconcat(row))
    grid = cv2.vconcat(rows)
    label_w = 150
    canvas = np.full((grid.shape[0] + 22, grid.shape[1] + label_w, 3), 255, np.uint8)
    canvas[22:, label_w:] = grid
    for i, kind in enumerate(CLEFT_KINDS):
        cv2.putText(canvas, kind.replace("_", " "), (4, 22 + i * tile + tile // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.38,
                    (0, 0, 0), 1, cv2.LINE_AA)
    for j, s in enumerate(SEVERITIES):
        cv2.putText(canvas, f"severity {s:g}", (label_w + j * tile + 8, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return canvas


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", nargs="?", default=None, metavar="IMG")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "img" / "cleft_ladder.png"))
    parser.add_argument("--side", default="left", choices=["left", "right"])
    parser.add_argument("--tile", type=int, default=110)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    image = fn.read_image(args.image or default_inputs()[0])
    landmarks = fn.FacePipeline().faces(image)[0].landmarks
    fn.write_image(args.out, ladder(image, landmarks, args.side, args.tile, args.seed))
    print(args.out)


if __name__ == "__main__":
    main()
