"""facenorm normalize IN.h5 --out OUT.h5 --normalizer NAME[:opts]: every record's face normalized, in batch."""
from .main import emit_json
from .prepare import add_cluster_arguments

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("normalize", help="normalize every face of a prepared or synth dataset (resumable)")
    p.add_argument("source", metavar="IN.h5", help="a dataset written by facenorm prepare or synth")
    p.add_argument("--out", required=True, metavar="OUT.h5")
    p.add_argument("--normalizer", default="none", metavar="NAME[:key=value,...]",
                   help="e.g. statistical, symmetry, inpaint:method=telea (default: none, the identity)")
    add_cluster_arguments(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..normalize.batch_job import run_normalize

    summary = run_normalize(args.source, args.out, args.normalizer, scheduler=args.scheduler, workers=args.workers,
                            shard_size=args.shard_size)
    if args.json:
        emit_json(summary)
    return 0
