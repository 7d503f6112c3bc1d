"""facenorm synth IN.h5 --out OUT.h5 --method lt-v1|lt-v2|palsy|cleft: synthetic anomalies in batch."""
from ..lipsynth.cleft import CLEFT_KINDS
from ..lipsynth.synth_job import CLEFT_SIDE_CHOICES
from .lip_transform import add_anchor_option
from .main import emit_json
from .prepare import add_cluster_arguments

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("synth", help="synthesize cleft-like lips, clefts or palsy-like faces over a prepared dataset (resumable)")
    p.add_argument("source", metavar="IN.h5", help="a dataset written by facenorm prepare")
    p.add_argument("--out", required=True, metavar="OUT.h5")
    p.add_argument("--method", default="lt-v2", choices=["lt-v1", "lt-v2", "palsy", "cleft"])
    p.add_argument("--severity", type=float, default=1.0, help="0 (identity) to 1")
    p.add_argument("--per-record", type=int, default=1, help="synthetic samples per control record")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--templates", default=None, help="lt-v2: folder of template files (default: the built-in ones)")
    add_anchor_option(p)
    p.add_argument("--kind", default="mixed", choices=("mixed",) + CLEFT_KINDS,
                   help="cleft: the kind (docs/cleft_synthesis.md); mixed draws one per record")
    p.add_argument("--side", default="random", choices=CLEFT_SIDE_CHOICES,
                   help="cleft: the subject's side; random draws one per record; both = a bilateral repair")
    add_cluster_arguments(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..lipsynth.synth_job import run_synth

    summary = run_synth(args.source, args.out, args.method, args.severity, args.per_record, args.seed,
                        args.templates, anchor=args.anchor, cleft_kind=args.kind, cleft_side=args.side,
                         scheduler=args.scheduler, workers=args.workers, shard_size=args.shard_size)
    if args.json:
        emit_json(summary)
    return 0
