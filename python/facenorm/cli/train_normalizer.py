"""facenorm train-normalizer IMG|DIR|LIST ... --out MODEL_DIR: train the learned two-stage
normalization (face autoencoder + restoration, libtorch, CPU) on normal faces; resumable."""
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("train-normalizer", help="train the learned normalization (autoencoder + restoration) on normal faces")
    p.add_argument("inputs", nargs="+", metavar="IMG|DIR|LIST", help="CONTROL (normal) faces")
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help="model folder (checkpoints; resumable)")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--size", type=int, default=256, help="side of the aligned face for stage 2 (default 256)")
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--bottleneck", type=int, default=64)
    p.add_argument("--restoration-channels", type=int, default=16)
    p.add_argument("--epochs-autoencoder", type=int, default=15)
    p.add_argument("--epochs-restoration", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--patch", type=int, default=64, help="stage 2 trains on random patches of this side")
    p.add_argument("--patches-per-face", type=int, default=4)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..normalize.learned_training import TrainingSettings, train_learned_normalizer

    settings = TrainingSettings(size=args.size, channels=args.channels, bottleneck=args.bottleneck,
                                restoration_channels=args.restoration_channels,
                                epochs_autoencoder=args.epochs_autoencoder,
                                epochs_restoration=args.epochs_restoration, batch_size=args.batch_size, lr=args.lr,
                                limit=args.limit, seed=args.seed, patch=args.patch,
                                patches_per_face=args.patches_per_face)
    summary = train_learned_normalizer(args.inputs, args.out, settings)
    if args.json:
        emit_json(summary)
    return 0
