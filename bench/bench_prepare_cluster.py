"""Throughput of `facenorm prepare` threaded (1 and 2 threads) against a local dask cluster of
1 and 2 worker processes (--workers N; docs/cluster.md). Whole jobs: model loads included, and
for the cluster, once "cold" (LocalCluster start + a model load per worker process) and once
"warm" (a second job on the same cluster: workers keep their models).

    PYTHONPATH=python /usr/bin/python3 bench/bench_prepare_cluster.py [--images 50] [--size 1024]
"""
import argparse
import logging
import tempfile
import time
from pathlib import Path

from bench_prepare import workload  # this folder; it also puts ../python on sys.path
from facenorm.data.prepare import prepare_dataset  # noqa: E402
from facenorm.data.prepare_cluster import prepare_dataset_on_cluster  # noqa: E402
from facenorm.data.prepare_face import PrepareOptions  # noqa: E402


def main():
    from distributed import Client, LocalCluster

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=50)
    ap.add_argument("--size", type=int, default=1024)
    args = ap.parse_args()
    paths = workload(args.images)
    options = PrepareOptions(size=args.size)
    rows = []
    for threads in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            summary = prepare_dataset(paths, Path(tmp) / "out.h5", options, threads=threads, progress=False)
        rows.append((f"threaded, --threads {threads}", summary["seconds"], summary))
    for workers in (1, 2):
        start = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            for run in ("cold", "warm"):
                with tempfile.TemporaryDirectory() as tmp:
                    summary = prepare_dataset_on_cluster(paths, Path(tmp) / "out.h5", options, client=client,
                                                         progress=False)
                seconds = time.perf_counter() - start if run == "cold" else summary["seconds"]
                rows.append((f"dask --workers {workers}, {run}", seconds, summary))
                start = time.perf_counter()
    # a Markdown table, ready for docs/benchmarks.md
    print(f"{len(paths)} CelebAMask-HQ test images (512 px) -> {args.size} px aligned, one run each\n")
    print("| run | seconds | images/s | written / skipped |\n|---|---|---|---|")
    print("\n".join(f"| {name} | {seconds:.2f} | {len(paths) / seconds:.1f} | {s['written']} / {s['skipped']} |"
                    for name, seconds, s in rows))

if __name__ == "__main__":
    main()
