"""facenorm train-landmarks [IMG|DIR|LIST ...] [--annotated DIR ...] --out MODEL_DIR: train the
cascaded FCN landmarker (AFLFP) on normal faces with dlib pseudo-labels plus their palsy-like
copies (exact points), and/or annotated folders (.pts / .npy); resumable. With --folds K it runs
the subject-independent K-fold cross-validation instead (docs/palsy.md)."""
from .main import emit_json

__all__ = ["register", "build_samples", "settings_from", "run"]


def register(sub):
    p = sub.add_parser("train-landmarks", help="train the cascaded FCN landmarker (palsy-robust) on CPU")
    p.add_argument("inputs", nargs="*", metavar="IMG|DIR|LIST", help="normal faces (dlib labels + palsy copies)")
    p.add_argument("--annotated", action="append", default=[], metavar="DIR",
                   help="a folder of images with .pts or .npy landmarks (and optional meta.csv); repeatable")
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help="model folder (checkpoints; resumable)")
    p.add_argument("--palsy-copies", default="both", choices=["both", "one", "none"],
                   help="palsy-like copies of each normal face: both sides (default), one side drawn per face, none")
    p.add_argument("--samples", metavar="FILE.npz",
                   help="keep the built samples here and reuse them when the file exists (building is the slow part)")
    p.add_argument("--limit", type=int, default=None, help="at most this many normal faces")
    p.add_argument("--folds", type=int, default=0, help="K-fold cross-validation by subject instead of one model")
    p.add_argument("--epochs", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--lr-step", type=int, help="divide the learning rate by 10 every this many epochs")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--width-divisor", type=int, help="Table 1's widths divided by this (1 = the paper's network)")
    p.add_argument("--seed", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def build_samples(args, predictors=None, progress=True):
    """The LandmarkSet of a command's inputs (normal faces first, then annotated folders)."""
    from ..landmarks.fcn.samples import LandmarkSet
    from ..landmarks.sample_builder import samples_for_command

    return samples_for_command(args, LandmarkSet, predictors, progress)


def settings_from(args):
    from dataclasses import replace

    from ..landmarks.fcn.training import FcnSettings
    given = {k: getattr(args, k) for k in ("epochs", "lr", "lr_step", "batch_size", "width_divisor", "seed")
             if getattr(args, k) is not None}
    return replace(FcnSettings(), **given)


def run(args) -> int:
    from ..landmarks.fcn.training import cross_validate, train_fcn

    samples = build_samples(args)
    source = list(args.inputs) + [f"annotated:{a}" for a in args.annotated]
    if args.folds:
        summary = cross_validate(samples, args.out, settings_from(args), args.folds, source)
    else:
        summary = train_fcn(samples, args.out, settings_from(args), source)
    if args.json:
        emit_json(summary)
    return 0
