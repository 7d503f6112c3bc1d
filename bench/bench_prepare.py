"""Throughput of `facenorm prepare` with 1 and 2 threads, beside a reference run.

Reference: a plain serial Python loop doing the same per-image work (read, detect, landmarks,
pose, align to 1024) and keeping the results in memory — no HDF5, no compression, no threads.

    PYTHONPATH=python /usr/bin/python3 bench/bench_prepare.py [--images 50] [--size 1024]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import facenorm as fn  # noqa: E402
from facenorm.data.prepare import prepare_dataset  # noqa: E402
from facenorm.data.prepare_face import PrepareOptions  # noqa: E402


def workload(n: int) -> list:
    folder = ROOT.parent / "shared" / "data" / "celebamask" / "test" / "images"
    paths = sorted(str(p) for p in folder.glob("*.jpg"))[:n]
    if not paths:
        sys.exit(f"bench_prepare: no images in {folder}")
    return paths


def reference_loop(paths, pipeline, size) -> float:
    start = time.perf_counter()
    kept = []
    for p in paths:
        try:
            image = fn.read_image(p)
            face = pipeline.faces(image)[0]
        except fn.FacenormError:
            continue
        if face.frontal:
            kept.append(fn.align_face(image, face.landmarks, size=size).image)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=50)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    paths = workload(args.images)
    pipeline = fn.FacePipeline()
    options = PrepareOptions(size=args.size)
    rows = []
    best = min(reference_loop(paths, pipeline, args.size) for _ in range(args.repeats))
    rows.append(("reference: serial loop, no HDF5", 1, best))
    for threads in (1, 2):
        times = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                summary = prepare_dataset(paths, Path(tmp) / "out.h5", options, threads=threads,
                                          progress=False, pipeline=pipeline)
                times.append(summary["seconds"])
        rows.append((f"facenorm prepare ({summary['written']} written, {summary['skipped']} skipped)", threads,
                     min(times)))
    print(f"{len(paths)} CelebAMask-HQ test images (512 px) -> {args.size} px aligned; best of {args.repeats}")
    print(f"{'run':<52} {'threads':>7} {'seconds':>8} {'img/s':>7}")
    for name, threads, seconds in rows:
        print(f"{name:<52} {threads:>7} {seconds:>8.2f} {len(paths) / seconds:>7.1f}")


if __name__ == "__main__":
    main()
