"""facenorm synth IN.h5 --out OUT.h5 --method lt-v1|lt-v2|palsy: synthetic anomalies in batch."""
from .lip_transform import add_anchor_option
from .main import emit_json


def register(sub):
    p = sub.add_parser("synth", help="synthesize cleft-like lips or palsy-like faces over a prepared dataset (resumable)")
    p.add_argument("source", metavar="IN.h5", help="a dataset written by facenorm prepare")
    p.add_argument("--out", required=True, metavar="OUT.h5")
    p.add_argument("--method", default="lt-v2", choices=["lt-v1", "lt-v2", "palsy"])
    p.add_argument("--severity", type=float, default=1.0, help="0 (identity) to 1")
    p.add_argument("--per-record", type=int, default=1, help="synthetic samples per control record")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--templates", default=None, help="lt-v2: folder of template files (default: the built-in ones)")
    add_anchor_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..lipsynth.synth_job import run_synth

    summary = run_synth(args.source, args.out, args.method, args.severity, args.per_record, args.seed,
                        args.templates, anchor=args.anchor)
    if args.json:
        emit_json(summary)
    return 0
