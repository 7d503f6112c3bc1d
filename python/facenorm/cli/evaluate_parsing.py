"""facenorm evaluate-parsing IMG|DIR|LIST ... --out DIR [--model DIR]: F1 per class, mean IoU and
pixel accuracy (the parsing paper's eqs. 9-11) on held-out faces and their palsy-like copies, by
group, with overlays (docs/palsy.md)."""
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("evaluate-parsing", help="parsing metrics (F1, IoU, PA) on faces and their palsy copies")
    p.add_argument("inputs", nargs="+", metavar="IMG|DIR|LIST")
    p.add_argument("--model", metavar="DIR", help="a train-parsing folder (default models/palsy_parsing)")
    p.add_argument("--out", required=True, metavar="DIR", help="table.md, metrics.json, overlays.png")
    p.add_argument("--palsy-copies", default="one", choices=["one", "both", "none"])
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    import os

    from ..parsing.evaluation import write_report
    from ..parsing.model import FaceParser
    from .train_parsing import parsing_samples_cached

    parser = FaceParser(args.model)
    images, labels, groups, _ = parsing_samples_cached(args.inputs, args.limit, args.palsy_copies, parser.side)
    metrics = write_report(images, labels, parser.parse_batch(images), groups, args.out)
    if args.json:
        emit_json({"out": os.path.abspath(args.out), "samples": len(images), "metrics": metrics})
    else:
        with open(os.path.join(args.out, "table.md")) as f:
            print(f.read(), end="")
    return 0
