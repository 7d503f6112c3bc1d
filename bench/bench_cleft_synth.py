"""fn.synthesize_cleft on a 512 x 512 face, one thread: median milliseconds per face per kind.

The face is astronaut.png's, cropped to its face box (1.6x, square) and resized to 512 x 512
(mouth width about 150 px, as an aligned 512 px face); landmarks from FacePipeline on the crop.
Severity 1 and 0.5, a fixed seed per call.

    PYTHONPATH=python taskset -c 1 /usr/bin/python3 bench/bench_cleft_synth.py
"""
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))

import facenorm as fn  # noqa: E402
from facenorm.cli.demo import default_inputs  # noqa: E402
from facenorm.lipsynth.cleft import CLEFT_KINDS  # noqa: E402
from timing import median_ms  # noqa: E402


def face_512():
    image = fn.read_image(default_inputs()[0])
    x0, y0, x1, y1 = fn.FacePipeline().faces(image)[0].box.to_list()
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, 0.8 * max(x1 - x0, y1 - y0)
    crop = image[int(max(cy - half, 0)):int(cy + half), int(max(cx - half, 0)):int(cx + half)]
    face = np.ascontiguousarray(cv2.resize(crop, (512, 512), interpolation=cv2.INTER_CUBIC))
    return face, fn.FacePipeline().faces(face)[0].landmarks


def main():
    fn.set_num_threads(1)
    cv2.setNumThreads(1)
    image, landmarks = face_512()
    width = np.linalg.norm(landmarks[54] - landmarks[48])
    print(f"synthesize_cleft on a {image.shape[1]}x{image.shape[0]} face (mouth width {width:.0f} px), "
          "median ms per face, one thread")
    print(f"  {'kind':24s} {'severity 0.5':>12s} {'severity 1':>11s}")
    for kind in CLEFT_KINDS:
        side = "both" if kind.startswith("bilateral") else "left"
        times = [median_ms(lambda s: fn.synthesize_cleft(image, landmarks, kind, side, s, seed=1), [(s,)], 30)
                 for s in (0.5, 1.0)]
        print(f"  {kind:24s} {times[0]:12.1f} {times[1]:11.1f}")


if __name__ == "__main__":
    main()
