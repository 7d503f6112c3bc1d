"""facenorm train PAIRS.h5 --out MODEL_DIR: train the Siamese (or --baseline) lip classifier
(ICMI 2024) on a pairs file from `facenorm lip-dataset`; resumable; prints the summary."""
from .main import emit_json

__all__ = ["register", "settings_from", "run"]


def register(sub):
    from ..lipdetect.network import BACKBONES

    p = sub.add_parser("train", help="train the Siamese lip-abnormality classifier on a pairs file (CPU)")
    p.add_argument("pairs", metavar="PAIRS.h5", help="a pairs file (`facenorm lip-dataset`)")
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help="model folder (checkpoints; resumable)")
    p.add_argument("--backbone", default="resnet34", choices=BACKBONES,
                   help="resnet34 (dlib ImageNet, default), face_resnet (dlib faces), mobilenet_v2 (the paper's), "
                        "simple_cnn (the paper's ablation)")
    p.add_argument("--baseline", action="store_true", help="the single-branch baseline (original crop only)")
    p.add_argument("--trainable-layers", type=int, help="fine-tune the backbone's last K layers (-1: all; "
                   "default: 98 for mobilenet_v2 as in the paper, 0 for the dlib nets, all for simple_cnn)")
    p.add_argument("--input-side", type=int, help="crops are resized to this side (default per backbone)")
    p.add_argument("--torchvision-weights", metavar="PTH", default="",
                   help="mobilenet_v2: a torchvision MobileNetV2 state dict to start from")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-epochs", type=int, default=50)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--no-mirror", action="store_true", help="no mirror augmentation")
    p.add_argument("--no-cache", action="store_true", help="recompute the frozen layers every epoch")
    p.add_argument("--without-children", action="store_true", help="drop age group child from train/dev")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def settings_from(args):
    from ..lipdetect.network import NetworkSettings
    from ..lipdetect.training import LipTrainSettings

    network = NetworkSettings(backbone=args.backbone, siamese=not args.baseline,
                              trainable_layers=args.trainable_layers, input_side=args.input_side,
                              torchvision_weights=args.torchvision_weights)
    return LipTrainSettings(network=network, lr=args.lr, batch_size=args.batch_size, max_epochs=args.max_epochs,
                            patience=args.patience, mirror=not args.no_mirror, seed=args.seed,
                            cache_features=not args.no_cache, exclude_children=args.without_children,
                            threads=args.threads)


def run(args) -> int:
    from ..lipdetect.training import train_lip_classifier

    summary = train_lip_classifier(args.pairs, args.out, settings_from(args))
    if args.json:
        emit_json(summary)
    return 0
