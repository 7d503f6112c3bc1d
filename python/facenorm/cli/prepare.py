"""facenorm prepare INPUT... --out FILE.h5 : photos -> aligned faces, landmarks and pose in HDF5."""
import os

from .main import emit_json

from ..detection import DETECTORS
from ..geometry import REGIONS

__all__ = ["register", "run", "add_cluster_arguments"]


def _region_list(text: str) -> tuple:
    import argparse

    regions = tuple(r.strip() for r in text.split(",") if r.strip())
    bad = [r for r in regions if r not in REGIONS]
    if bad:
        raise argparse.ArgumentTypeError(f"expected regions among {','.join(REGIONS)}, got {','.join(bad)}")
    return regions


def register(sub):
    p = sub.add_parser("prepare", help="build an HDF5 dataset of aligned faces from photos (resumable)",
                       description="Detect, landmark, pose-filter and align every photo and append it to an "
                                   "HDF5 dataset (docs/datasets.md). Photos with a side-car landmark file "
                                   "(same stem, .pts or .npy) use those landmarks instead of the detector. "
                                   "Rerunning the same command resumes a killed job.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="folder (searched recursively), image, or text file listing image paths")
    p.add_argument("--out", required=True, metavar="FILE.h5", help="dataset file to create or resume")
    p.add_argument("--threads", type=int, default=None,
                   help="worker threads of the one-host job (default: the number of CPUs); not with "
                        "--scheduler/--workers, whose workers run one task per dask worker thread")
    p.add_argument("--detector", default="hog", choices=DETECTORS)
    p.add_argument("--size", type=int, default=1024, help="side of the aligned face in pixels (default 1024)")
    p.add_argument("--eye-distance", type=float, default=100.0,
                   help="pixels between the eye centres in the aligned face (default 100)")
    p.add_argument("--crops", type=_region_list, default=(), metavar="REGIONS",
                   help=f"comma-separated region crops to store, 224x224, among {','.join(REGIONS)}")
    p.add_argument("--max-yaw", type=float, default=15.0, help="pose filter: |yaw| below this (degrees)")
    p.add_argument("--max-pitch", type=float, default=15.0, help="pose filter: |pitch| below this (degrees)")
    p.add_argument("--no-pose-filter", action="store_true", help="keep every pose (still measured and stored)")
    p.add_argument("--group", default="", help="value of the records' group column")
    p.add_argument("--split", default="", help="value of the records' split column (train, test...)")
    p.add_argument("--age-group", default="", help="value of the records' age_group column (child, adult)")
    p.add_argument("--landmark-model", default="dlib", metavar="SPEC",
                   help="landmarks of faces without a side-car file: dlib (default), refined (follows a droop: "
                        "palsy data), fcn, or a model folder")
    add_cluster_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    p.set_defaults(func=run)


def add_cluster_arguments(p) -> None:
    """--scheduler / --workers / --shard-size of the HDF5 batch jobs (docs/cluster.md)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run on this dask.distributed cluster (e.g. tcp://host:8786); inputs and --out on a "
                            "filesystem every worker sees at the same paths")
    group.add_argument("--workers", type=int, default=None, metavar="N",
                       help="run on a local dask cluster of N worker processes")
    p.add_argument("--shard-size", type=int, default=None, metavar="K",
                   help="with --scheduler/--workers: inputs per task and shard file (default: about 4 shards "
                        "per worker thread, at most 64 inputs each)")


def run(args) -> int:
    from ..data.prepare import prepare_dataset
    from ..data.prepare_face import PrepareOptions

    options = PrepareOptions(detector=args.detector, size=args.size, eye_distance=args.eye_distance,
                             crops=tuple(args.crops), max_yaw=args.max_yaw, max_pitch=args.max_pitch,
                             pose_filter=not args.no_pose_filter, group=args.group, split=args.split,
                             age_group=args.age_group, landmark_model=args.landmark_model)
    if args.scheduler or args.workers is not None:
        from ..data.prepare_cluster import prepare_dataset_on_cluster
        from .main import UsageError

        if args.threads is not None:
            raise UsageError("prepare: --threads is for the one-host job; with --scheduler/--workers each dask "
                             "worker thread runs one task (set them with dask-worker --nthreads, or --workers N)")

        summary = prepare_dataset_on_cluster(args.inputs, args.out, options, scheduler=args.scheduler,
                                             workers=args.workers, shard_size=args.shard_size)
    else:
        summary = prepare_dataset(args.inputs, args.out, options, threads=args.threads if args.threads is not None else os.cpu_count() or 1)
    if args.json:
        emit_json(summary)
    else:
        reasons = ", ".join(f"{k}: {v}" for k, v in summary["skipped_by_reason"].items())
        print(f"{summary['out']}: wrote {summary['written']} records, skipped {summary['skipped']}"
              + (f" ({reasons})" if reasons else "")
              + (f", {summary['resumed_from']} inputs were already done" if summary["resumed_from"] else "")
              + f"; {summary['seconds']:.1f} s with {summary['threads']} threads"
              + (f" on {summary['workers']} dask workers ({summary['shards']} shards)" if "workers" in summary else ""))
    return 0
