"""Anomaly heatmap + score (PLOS ONE 2023 eqs. 3-6) on a 1024 x 1024 face, one core: a
straightforward NumPy/OpenCV-Python reference beside facenorm's kernels called from Python.

Reference, the same steps as pse_heatmap (YCbCr, 3 x 3 erosion) + heatmap_score:
    float64 BT.601 colour transform of both images (NumPy), squared difference, cv2.erode with a
    replicated border, masked sum (NumPy), S = -ln(max(||H||_F / N, 1e-9)).
Workload as in bench/bench_score.cpp: the first CelebAMask-HQ test face (or scikit-image's
astronaut) resized to 1024 x 1024; "normalized" = the same face with the lips (landmarks 48-59
plus 10 px) blurred and shifted 4 px down; mask = the soft "mouth" region (sigma 2 px).

    PYTHONPATH=python taskset -c 0 /usr/bin/python3 bench/bench_score_reference.py
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core for NumPy's matrix product too

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import facenorm as fn  # noqa: E402
from facenorm import _core  # noqa: E402
from facenorm.score import _reference  # noqa: E402

def reference(original, normalized, mask):
    """Eqs. 3-6 the straightforward way: float64 NumPy + cv2.erode + NumPy masked sum
    (facenorm.score._reference, the one the tests check the kernels against)."""
    heat = _reference.pse(original, normalized, "ycbcr", 3, fast=True)
    return heat, _reference.score(heat, mask)["score"]


def skimage_ssim(original, normalized):
    """The SSIM map ssim_heatmap reproduces, computed by scikit-image (for scale)."""
    from skimage.metrics import structural_similarity

    ya, yb = _reference.colour(original, "ycbcr"), _reference.colour(normalized, "ycbcr")
    return 1.0 - structural_similarity(ya, yb, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       data_range=255, full=True, channel_axis=-1)[1]


def workload():
    data = ROOT.parent / "shared" / "data" / "celebamask" / "test" / "images"
    images = sorted(data.glob("*.jpg")) if data.is_dir() else []
    path = str(images[0]) if images else "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
    original = cv2.resize(fn.read_image(path), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    detector, predictor = fn.FaceDetector(), fn.LandmarkPredictor()
    landmarks = predictor.predict(original, detector.detect(original)[0])
    x, y, w, h = cv2.boundingRect(np.float32(landmarks[48:60]))
    x0, y0 = max(x - 10, 0), max(y - 10, 4)
    x1, y1 = min(x + w + 10, 1024), min(y + h + 10, 1024)
    normalized = original.copy()
    normalized[y0:y1, x0:x1] = cv2.GaussianBlur(original[y0 - 4:y1 - 4, x0:x1], (0, 0), 3.0)
    mask = fn.region_mask(landmarks, (1024, 1024), "mouth", 2.0)
    return path, original, normalized, mask


def timed(fn_, repeats):
    """(median wall ms, median CPU ms) of repeated calls after one warm-up call."""
    fn_()
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.thread_time()
        fn_()
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - t)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def main():
    fn.set_num_threads(1)
    cv2.setNumThreads(1)
    path, original, normalized, mask = workload()

    heat_ref, score_ref = reference(original, normalized, mask)
    heat = _core.pse_heatmap(original, normalized, colour="ycbcr", erosion=3)
    ours = _core.heatmap_score(heat, mask)
    fused, fused_heat = _core.pse_score(original, normalized, mask, colour="ycbcr", erosion=3, return_heatmap=True)
    assert fused == ours and np.array_equal(fused_heat, heat)
    err = float(np.abs(heat - heat_ref).max())
    ssim_err = float(np.abs(_core.ssim_heatmap(original, normalized) - skimage_ssim(original, normalized)).max())
    print(f"workload: {path} at 1024 x 1024, mask weight {mask.sum():.0f} px")
    print(f"S: reference {score_ref:.6f}, facenorm {ours['score']:.6f} (|diff| {abs(score_ref - ours['score']):.1e}); "
          f"heatmap max |diff| {err:.1e} of max {heat_ref.max():.0f}; 1 - SSIM vs skimage max |diff| {ssim_err:.1e}")

    runs = [
        ("reference: NumPy float64 + cv2.erode + NumPy sum", lambda: reference(original, normalized, mask), 30),
        ("facenorm pse_heatmap + heatmap_score (2 calls)",
         lambda: _core.heatmap_score(_core.pse_heatmap(original, normalized), mask), 300),
        ("facenorm pse_score, heatmap returned (fused)",
         lambda: _core.pse_score(original, normalized, mask, return_heatmap=True), 300),
        ("facenorm pse_score, score only (fused)", lambda: _core.pse_score(original, normalized, mask), 300),
        ("facenorm ssim_heatmap (YCbCr, no erosion)", lambda: _core.ssim_heatmap(original, normalized), 20),
        ("skimage structural_similarity (YCbCr float64, full)", lambda: skimage_ssim(original, normalized), 5),
    ]
    results = {}
    print("one core, median of repeated runs: wall ms (CPU ms)")
    for name, f, repeats in runs:
        wall, cpu = timed(f, repeats)
        results[name] = wall
        print(f"  {name:52s} {wall:8.3f} ({cpu:.3f})")
    ref = results[runs[0][0]]
    for name, _, _ in runs[1:4]:
        print(f"  reference / {name.split('(')[0].strip():42s} {ref / results[name]:6.1f}x")
    print(f"  skimage / facenorm ssim_heatmap {results[runs[5][0]] / results[runs[4][0]]:25.1f}x")


if __name__ == "__main__":
    main()
