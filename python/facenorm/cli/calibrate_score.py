"""facenorm calibrate-score IMG|DIR|LIST ... --out JSON: fit the normality curves on control faces."""
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("calibrate-score", help="fit the 0-100 normality calibration on control (normal) faces")
    p.add_argument("inputs", nargs="+", metavar="IMG|DIR|LIST")
    p.add_argument("--out", required=True, metavar="JSON", help="calibration file to write (atomically)")
    p.add_argument("--limit", type=int, default=200, help="use at most this many faces (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data.inputs import collect_image_paths
    from ..score.calibrate_job import run_calibration

    summary = run_calibration(collect_image_paths(args.inputs), args.out, limit=args.limit, seed=args.seed)
    if args.json:
        emit_json(summary)
    return 0
