"""facenorm evaluate-appraisal [--data ../shared/data] [--model DIR] [--out DIR]: false alarms on
held-out normal faces of every age, AUC and severity ladders on LT-v2 (real cleft shapes) and
synthetic clefts, beside statistical + PSE (docs/results.md)."""
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("evaluate-appraisal", help="the default appraisal on held-out normal faces and synthetic clefts")
    p.add_argument("--data", default="../shared/data", metavar="DIR")
    p.add_argument("--model", metavar="DIR", help="the anomaly model folder (default: the shipped one)")
    p.add_argument("--per-group", type=int, default=40, help="evaluation faces per UTKFace age group (default 40)")
    p.add_argument("--no-compare", action="store_true", help="skip statistical + PSE")
    p.add_argument("--out", metavar="DIR", help="write summary.json and table.md here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    import os

    from ..appraisal.evaluation import evaluate_appraisal, markdown_table
    from ..files import atomic_json, atomic_write_text

    if args.out:
        os.makedirs(args.out, exist_ok=True)
    summary = evaluate_appraisal(args.data, args.model, per_group=args.per_group, compare=not args.no_compare)
    if args.out:
        atomic_json(os.path.join(args.out, "summary.json"), summary)
        atomic_write_text(os.path.join(args.out, "table.md"), markdown_table(summary))
    if args.json:
        emit_json(summary)
    else:
        print(markdown_table(summary))
    return 0
