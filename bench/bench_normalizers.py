"""Normalizers on aligned 1024 x 1024 faces, one core: the issue's speed targets, beside references.

Workload: scikit-image's astronaut and the first CelebAMask-HQ test faces (when ../shared/data is
there), aligned as the PLOS ONE paper does (fn.align_face: 1024 x 1024), each as is and as an
LT-v2 copy at severity 1 (exact landmarks). Reference runs: the identity (`none`: what the
interface itself costs) and the statistical normalizer with its C++ robust projection replaced by
a NumPy IRLS that solves the weighted least squares exactly each iteration (the textbook way).

    taskset -c 0 env PYTHONPATH=python /usr/bin/python3 bench/bench_normalizers.py
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
from facenorm import _core  # noqa: E402
from facenorm.lipsynth import default_lip_templates  # noqa: E402
from facenorm.normalize import get_normalizer  # noqa: E402

ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
TARGETS_MS = {"statistical": 20, "symmetry": 20, "inpaint": 50, "inpaint:method=telea": 50,
              "inpaint:method=ns": 50}
SPECS = ["none", "statistical", "statistical:texture=off", "symmetry", "symmetry:blend=seamless", "inpaint",
         "inpaint:method=telea", "inpaint:method=ns"]
REPEATS = 7


def workload() -> list:
    paths = [ASTRONAUT] + sorted(str(p) for p in (ROOT.parent / "shared/data/celebamask/test/images").glob("*.jpg"))[:4]
    pipeline, templates, faces = fn.FacePipeline(), default_lip_templates(), []
    for path in paths:
        image = fn.read_image(path)
        face = pipeline.faces(image)[0]
        aligned = fn.align_face(image, face.landmarks)
        copy = fn.lip_transform_v2(aligned.image, aligned.landmarks, templates["raised_peak_right"], 1.0)
        faces += [(aligned.image, aligned.landmarks), (copy.image, copy.landmarks_after)]
    return faces


def median_ms(normalizer, faces) -> float:
    for image, landmarks in faces:  # warm-up: model load, first-call allocations
        normalizer.normalize(image, landmarks)
    times = []
    for _ in range(REPEATS):
        for image, landmarks in faces:
            started = time.perf_counter()
            normalizer.normalize(image, landmarks)
            times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def numpy_irls(x, mean, basis, stddev, sigma, group=1, tukey_c=4.685, coefficient_bound=3.0, **_):
    """The reference projection: Tukey IRLS with an exact weighted least-squares solve per iteration."""
    bound = coefficient_bound * stddev
    c = np.clip(basis @ (x - mean), -bound, bound)
    for it in range(30):
        recon = mean + c @ basis
        u = np.sqrt(((x - recon).reshape(-1, group) ** 2).mean(1)) / sigma
        w = np.where(u < tukey_c, (1 - (u / tukey_c) ** 2) ** 2, 0.0)
        sw = np.sqrt(np.repeat(w, group))
        new = np.clip(np.linalg.lstsq(basis.T * sw[:, None], sw * (x - mean), rcond=None)[0], -bound, bound)
        if np.abs(new - c).max() < 1e-4 * stddev.min():
            c = new
            break
        c = new
    return {"coefficients": c.astype(np.float32), "reconstruction": (mean + c @ basis).astype(np.float32),
            "weights": w.astype(np.float32), "iterations": it + 1}


def main() -> None:
    fn.set_num_threads(1)
    cv2.setNumThreads(1)
    faces = workload()
    print(f"{len(faces)} aligned faces {faces[0][0].shape[1]}x{faces[0][0].shape[0]} (normal + LT-v2), one core, "
          f"median of {REPEATS} x {len(faces)} calls")
    for spec in SPECS:
        ms = median_ms(get_normalizer(spec), faces)
        target = TARGETS_MS.get(spec)
        verdict = "" if target is None else f"  target <= {target} ms: {'met' if ms <= target else 'MISSED'}"
        print(f"{spec:28s} {ms:7.2f} ms{verdict}")
    kernel = _core.robust_subspace_projection
    _core.robust_subspace_projection = numpy_irls
    try:
        ms = median_ms(get_normalizer("statistical"), faces)
    finally:
        _core.robust_subspace_projection = kernel
    print(f"{'reference: statistical, NumPy IRLS':28s} {ms:7.2f} ms")


if __name__ == "__main__":
    main()
