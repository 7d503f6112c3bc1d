"""facenorm evaluate-landmarks [IMG|DIR|LIST ...] [--annotated DIR ...] --out DIR: dlib's shape
predictor, the refined landmarker and the cascaded FCN on the same faces and boxes: NME (eq. 3,
box, inter-ocular, inner points) and the asymmetry error by group, the mask agreement on
CelebAMask-HQ normal faces, overlays (docs/palsy.md)."""
from .main import emit_json

__all__ = ["register", "default_models", "run"]


def register(sub):
    p = sub.add_parser("evaluate-landmarks", help="compare landmarkers (dlib, FCN) by NME on normal and palsy faces")
    p.add_argument("inputs", nargs="*", metavar="IMG|DIR|LIST",
                   help="normal faces: dlib labels are the truth for them, their palsy copies' exact points for the copies")
    p.add_argument("--annotated", action="append", default=[], metavar="DIR")
    p.add_argument("--model", action="append", default=[], metavar="SPEC",
                   help="landmarkers to compare (dlib, refined, fcn, NAME:model=DIR, a model folder) (default: dlib and the shipped refined and FCN models); repeatable")
    p.add_argument("--palsy-copies", default="both", choices=["both", "one", "none"])
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--out", required=True, metavar="DIR", help="rows.csv, table.md, summary.json, overlays.png")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def default_models() -> list:
    from ..landmarks.registry import installed_landmarkers
    return installed_landmarkers()


def run(args) -> int:
    import os

    from ..landmarks.registry import get_landmarker
    from ..landmarks.fcn.evaluation import write_report
    from ..landmarks.fcn.samples import LandmarkSet
    from ..landmarks.sample_builder import samples_for_command

    specs = args.model or default_models()
    predictors = {(os.path.basename(os.path.normpath(s)) if os.path.isdir(s) else s): get_landmarker(s)
                  for s in specs}
    samples = samples_for_command(args, LandmarkSet, predictors)
    summary = write_report(samples, args.out)
    if args.json:
        emit_json({"out": os.path.abspath(args.out), "samples": len(samples), "skipped": len(samples.skipped),
                   "summary": summary})
    else:
        with open(os.path.join(args.out, "table.md")) as f:
            print(f.read(), end="")
    return 0
