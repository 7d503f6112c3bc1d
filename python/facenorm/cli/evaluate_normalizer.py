"""facenorm evaluate-normalizer IMG|DIR|LIST ... --normalizer NAME [--normalizer NAME ...] --out DIR:
the normalization benchmark (identity kept, anomaly removed, order preserved) on control faces and
their LT-v2 copies; `none` is always included as the baseline (docs/normalization.md)."""
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("evaluate-normalizer", help="benchmark normalizers on control faces and their LT-v2 copies")
    p.add_argument("inputs", nargs="+", metavar="IMG|DIR|LIST", help="held-out CONTROL faces (never the training faces)")
    p.add_argument("--normalizer", action="append", default=[], metavar="NAME[:k=v,...]",
                   help="a normalizer to evaluate (repeat for several); none is always added")
    p.add_argument("--out", required=True, metavar="DIR", help="writes rows.csv, table.md, summary.json, examples.png")
    p.add_argument("--limit", type=int, default=50, help="at most this many faces (default 50)")
    p.add_argument("--templates", metavar="DIR", help="LT-v2 templates (.npy/.pts); default: the built-in ones")
    p.add_argument("--landmarks", choices=["detected", "exact"], default="detected",
                   help="landmarks given to the normalizers: dlib's on the copy (default) or the transform's exact ones")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data.inputs import collect_image_paths
    from ..normalize.evaluation import markdown_table, run_evaluation

    summary = run_evaluation(collect_image_paths(args.inputs), args.out, args.normalizer, args.limit,
                             args.templates, args.seed, args.landmarks)
    if args.json:
        emit_json(summary)
    else:
        print(markdown_table(summary["table"]))
    return 0
