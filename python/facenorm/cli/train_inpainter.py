"""facenorm train-inpainter --cache FILE.h5 --out DIR: the lower-face inpainting network of
`map-inpaint:method=network`, trained on the normal faces of a `fit-anomaly-model` feature cache
with random holes on the lower face (docs/appraisal.md). Resumable: rerun the same command after a kill."""
from .main import emit_json, positive_int

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("train-inpainter", help="train the appraisal's lower-face inpainting network (~40 min on 2 cores)")
    p.add_argument("--cache", required=True, metavar="FILE.h5",
                   help="the feature cache `facenorm fit-anomaly-model` wrote (its faces and landmarks)")
    p.add_argument("--out", required=True, metavar="DIR", help="the model folder (checkpoints, then model.json)")
    p.add_argument("--epochs", type=positive_int, default=3, help="passes over the faces and their mirrors (default 3)")
    p.add_argument("--channels", type=positive_int, default=32, help="the U-Net's first-stage channels (default 32)")
    p.add_argument("--batch", type=positive_int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--perceptual-weight", type=float, default=0.05,
                   help="weight of the ResNet-34 perceptual term (default 0.05; 0 = L1 only)")
    p.add_argument("--limit", type=positive_int, help="use only the cache's first N faces (a quick trial)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from .._core import InputError
    from ..appraisal.inpainter_training import InpainterSettings, train_inpainter

    if args.perceptual_weight < 0:
        raise InputError(f"--perceptual-weight: expected >= 0, got {args.perceptual_weight}")
    settings = InpainterSettings(channels=args.channels,
                                 epochs=args.epochs,
                                 batch=args.batch, lr=args.lr,
                                 perceptual_weight=args.perceptual_weight, limit=args.limit)
    summary = train_inpainter(args.cache, args.out, settings)
    if args.json:
        emit_json(summary)
    return 0
