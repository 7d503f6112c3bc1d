"""facenorm fit-normal-model IMG|DIR|LIST|DATASET.h5 ... --out MODEL.npz: the statistical
normal-face model (shape + lower-face texture PCA) from control faces only."""
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("fit-normal-model", help="train the statistical normal-face model on control (normal) faces")
    p.add_argument("inputs", nargs="+", metavar="IMG|DIR|LIST|DATASET.h5")
    p.add_argument("--out", required=True, metavar="MODEL.npz", help="model file to write (atomically)")
    p.add_argument("--limit", type=int, default=1000, help="use at most this many faces (default 1000)")
    p.add_argument("--shape-components", type=int, default=24)
    p.add_argument("--texture-components", type=int, default=60)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..normalize.fit_job import run_fit

    summary = run_fit(args.inputs, args.out, args.limit, args.shape_components, args.texture_components)
    if args.json:
        emit_json(summary)
    return 0
