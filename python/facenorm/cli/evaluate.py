"""facenorm evaluate MODEL_DIR PAIRS.h5: loss and accuracy of a trained lip classifier on each
subset of a pairs file (train, dev, test, test_controls/adults/children, test_real_shapes, ...)."""
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("evaluate", help="loss and accuracy of a lip classifier per subset of a pairs file")
    p.add_argument("model", metavar="MODEL_DIR", help="a `facenorm train` model folder")
    p.add_argument("pairs", metavar="PAIRS.h5")
    p.add_argument("--subsets", help="comma-separated subset names (default: all the file has)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--threshold", default="0.5", metavar="T|model",
                   help="call a record abnormal when p >= T (default 0.5, the paper's tables; model: the model's own)")
    p.add_argument("--no-cache", action="store_true",
                   help="run the whole network instead of caching its frozen part in the pairs file "
                        "(for a file another job has open, or a few subsets)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from ..lipdetect.evaluation import evaluate_lip_model
    from ..lipdetect.model import LipModel

    subsets = [s for s in args.subsets.split(",") if s] if args.subsets else None
    model = LipModel(args.model, threads=args.threads)
    threshold = model.threshold if args.threshold == "model" else float(args.threshold)
    result = evaluate_lip_model(model, args.pairs, subsets, use_cache=not args.no_cache, threshold=threshold)
    if args.json:
        emit_json({"model": args.model, "pairs": args.pairs, "threshold": threshold, "subsets": result["subsets"],
                   "seconds": result["seconds"]})
    else:
        for name, r in result["subsets"].items():
            print(f"{name:>18}: n {r['n']:5d}  loss {r['loss']:.4f}  accuracy {r['accuracy']:.4f}", file=sys.stdout)
    return 0
