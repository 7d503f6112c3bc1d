"""facenorm lip-dataset CONTROLS... --out DIR: photos -> the (original, normalized) lip-crop pairs
of the ICMI 2024 lip-abnormality detector (prepare, synth, normalize, pairs; resumable)."""
from .main import emit_json
from .prepare import add_cluster_arguments

__all__ = ["register", "severity_range", "run"]


def register(sub):
    p = sub.add_parser("lip-dataset", help="build the lip-crop pairs of the lip-abnormality detector from photos "
                                           "(resumable)",
                       description="Run prepare, synth, normalize and the pairs stage into DIR (docs/datasets.md): "
                                   "normal faces and their synthetic cleft-like copies, split train/dev/test by "
                                   "identity and balanced 50/50, as pixel-aligned (original, normalized) lip crops. "
                                   "Rerunning the same command reuses finished files and resumes a killed run.")
    p.add_argument("controls", nargs="+", metavar="CONTROLS",
                   help="normal faces for train/dev: folders (searched recursively), images or list files")
    p.add_argument("--out", required=True, metavar="DIR", help="work folder for every stage's file")
    p.add_argument("--test", nargs="+", default=None, metavar="IMG|DIR",
                   help="normal faces for the test split (balanced with their synthetic copies)")
    p.add_argument("--real-shapes", default=None, metavar="DIR",
                   help="folder of lip templates (.npy/.pts), e.g. the measured cleft shapes, applied with LT-v2 to "
                        "the --test faces: subset test_real_shapes")
    p.add_argument("--cleft", nargs="+", default=None, metavar="IMG|DIR",
                   help="photos of patients (all abnormal, split test): subset test_cleft")
    p.add_argument("--children", nargs="+", default=None, metavar="IMG|DIR",
                   help="normal faces of children for train/dev (the others are then recorded as adults)")
    p.add_argument("--test-children", nargs="+", default=None, metavar="IMG|DIR",
                   help="normal faces of children for the test split: subsets test_children / test_adults")
    p.add_argument("--method", "--methods", dest="method", default="lt-v2", metavar="M[,M...]",
                   help="synthetic anomalies: lt-v2 (default), lt-v1, cleft, or several comma-separated "
                        "(lt-v1,lt-v2,cleft): each copy draws one; a cleft draws kind, side and severity")
    p.add_argument("--cleft-severity", default="0.4,1", metavar="LOW,HIGH",
                   help="cleft copies draw their severity uniformly in this range (default 0.4,1)")
    p.add_argument("--utkface", metavar="DIR", help="UTKFace photos (AGE_GENDER_RACE_DATE.jpg): controls of "
                   "every age with age_group from the names; its held-out files (sha1 rule) are test faces")
    p.add_argument("--utkface-per-group", type=int, metavar="N", help="at most N train/dev faces per age group")
    p.add_argument("--utkface-test-per-group", type=int, metavar="N", help="at most N test faces per age group")
    p.add_argument("--normalizer", default="statistical", metavar="NAME[:key=value,...]",
                   help="e.g. statistical (default), symmetry, none")
    p.add_argument("--size", type=int, default=512, help="side of the aligned face in pixels (default 512)")
    p.add_argument("--severity", type=float, default=1.0, help="0 (identity) to 1 (default)")
    p.add_argument("--seed", type=int, default=0, help="synthesis and dev split seed")
    p.add_argument("--dev-fraction", type=float, default=0.2, help="share of non-test identities in dev (default 0.2)")
    p.add_argument("--threads", type=int, default=None,
                   help="prepare's worker threads (default 2); not with --scheduler/--workers")
    p.add_argument("--no-pose-filter", action="store_true", help="keep every pose (default: |yaw|, |pitch| < 15)")
    add_cluster_arguments(p)
    p.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    p.set_defaults(func=run)


def severity_range(text: str) -> tuple:
    from .._core import InputError

    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--cleft-severity: expected LOW,HIGH (e.g. 0.4,1), got '{text}'") from None
    return low, high


def run(args) -> int:
    from ..lipdetect.lip_dataset import build_lip_dataset
    from .main import UsageError

    cluster = args.scheduler or args.workers is not None
    if cluster and args.threads is not None:
        raise UsageError("lip-dataset: --threads is for the one-host run; with --scheduler/--workers each dask "
                         "worker thread runs one task")

    summary = build_lip_dataset(args.controls, args.out, method=args.method, normalizer=args.normalizer,
                                test_inputs=args.test, real_shapes=args.real_shapes, cleft_inputs=args.cleft,
                                size=args.size, severity=args.severity, seed=args.seed,
                                threads=2 if args.threads is None else args.threads,
                                pose_filter=not args.no_pose_filter, dev_fraction=args.dev_fraction,
                                children_inputs=args.children, test_children_inputs=args.test_children,
                                utkface=args.utkface, utkface_per_group=args.utkface_per_group,
                                utkface_test_per_group=args.utkface_test_per_group,
                                cleft_severity=severity_range(args.cleft_severity), scheduler=args.scheduler,
                                workers=args.workers, shard_size=args.shard_size)
    if args.json:
        emit_json(summary)
    else:
        subsets = ", ".join(f"{k} {v}" for k, v in summary["subsets"].items())
        print(f"{summary['pairs']}: {summary['records']} records ({subsets}); "
              f"{summary['seconds']['total']:.1f} s")
    return 0
