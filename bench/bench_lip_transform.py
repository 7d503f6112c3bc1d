"""LT-v2 on a 512 x 512 face: facenorm beside the official code's per-triangle strategy.

The reference is written here the way the ICMI 2024 official Python code works: triangulate
the control landmarks, then for EVERY triangle warp its bounding box with cv2.warpAffine and
paste it through a triangle mask. Both get the same LT-v2 target landmarks; one core.

    PYTHONPATH=python /usr/bin/python3 bench/bench_lip_transform.py
"""
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import facenorm as fn  # noqa: E402
from facenorm.lipsynth import lip_templates_in  # noqa: E402


def per_triangle_reference(image, src, dst):
    rect = (0, 0, image.shape[1], image.shape[0])
    subdiv = cv2.Subdiv2D(rect)
    for x, y in src:
        subdiv.insert((float(x), float(y)))
    index = {(float(x), float(y)): i for i, (x, y) in enumerate(src)}
    out = image.copy()
    for t in subdiv.getTriangleList():
        corners = [(t[0], t[1]), (t[2], t[3]), (t[4], t[5])]
        if not all(c in index for c in corners):
            continue
        ids = [index[c] for c in corners]
        s, d = np.float32(src[ids]), np.float32(dst[ids])
        xs, ys, ws, hs = cv2.boundingRect(s)
        xd, yd, wd, hd = cv2.boundingRect(d)
        m = cv2.getAffineTransform(np.float32(s - [xs, ys]), np.float32(d - [xd, yd]))
        patch = cv2.warpAffine(image[ys:ys + hs, xs:xs + ws], m, (wd, hd), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT_101)
        mask = np.zeros((hd, wd), np.uint8)
        cv2.fillConvexPoly(mask, np.int32(np.round(d - [xd, yd])), 255, cv2.LINE_AA)
        region = out[yd:yd + hd, xd:xd + wd]
        np.copyto(region, patch, where=mask[..., None] > 0)
    return out


def median_ms(fn_, repeats=200):
    fn_()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn_()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main():
    fn.set_num_threads(1)
    cv2.setNumThreads(1)
    data = ROOT.parent / "shared" / "data"
    image = fn.read_image(str(sorted((data / "celebamask" / "test" / "images").glob("*.jpg"))[6]))
    templates = lip_templates_in(data / "clp_lip_shapes")
    landmarks = fn.FacePipeline().faces(image)[0].landmarks
    template = templates[sorted(templates)[0]]
    target = fn.lip_transform_v2_landmarks(landmarks, template, 1.0)
    ours = median_ms(lambda: fn.lip_transform_v2(image, landmarks, template, 1.0))
    ref = median_ms(lambda: per_triangle_reference(image, landmarks, target), repeats=50)
    print(f"LT-v2 on a {image.shape[1]}x{image.shape[0]} face, median of repeated runs, one core")
    print(f"  facenorm lip_transform_v2          {ours:7.3f} ms")
    print(f"  reference per-triangle warpAffine  {ref:7.3f} ms   ({ref / ours:.1f}x slower)")


if __name__ == "__main__":
    main()
