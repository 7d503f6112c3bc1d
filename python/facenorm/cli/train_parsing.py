"""facenorm train-parsing IMG|DIR|LIST ... --out MODEL_DIR: train the face-parsing network with the
palsy (FPP) class on faces whose parsing masks sit in a masks/ folder beside images/
(CelebAMask-HQ layout) and their palsy-like copies; resumable (docs/palsy.md)."""
from .main import emit_json

__all__ = ["register", "parsing_samples_cached", "run"]


def register(sub):
    p = sub.add_parser("train-parsing", help="train face parsing with a palsy (FPP) region on CPU")
    p.add_argument("inputs", nargs="+", metavar="IMG|DIR|LIST", help="faces with masks/<stem>.png beside images/")
    p.add_argument("--out", required=True, metavar="MODEL_DIR")
    p.add_argument("--palsy-copies", default="one", choices=["one", "both", "none"])
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--samples", metavar="FILE.npz", help="keep the built samples here and reuse them")
    for name, kind in (("epochs", int), ("lr", float), ("batch-size", int), ("channels", int), ("side", int),
                       ("boundary-weight", float), ("seed", int)):
        p.add_argument(f"--{name}", type=kind)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def parsing_samples_cached(inputs, limit, palsy_copies, side, cache=None):
    """(images, labels, groups, paths) built from the inputs, or read from / written to `cache`."""
    import os

    import numpy as np

    from ..data.inputs import collect_image_paths
    from ..parsing.samples import parsing_samples

    if cache and os.path.isfile(cache):
        with np.load(cache, allow_pickle=False) as z:
            images, labels, groups, paths = z["images"], z["labels"], list(z["groups"]), list(z["paths"])
        if images.shape[1] != side:  # samples kept at another size: resized, labels with nearest
            import cv2
            images = np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA) for im in images])
            labels = np.stack([cv2.resize(lab, (side, side), interpolation=cv2.INTER_NEAREST) for lab in labels])
        return images, labels, groups, paths
    images, labels, groups, paths, _ = parsing_samples(collect_image_paths(inputs)[:limit], side, palsy_copies)
    if cache:
        tmp = f"{cache}.partial.npz"
        np.savez(tmp, images=images, labels=labels, groups=np.array(groups), paths=np.array(paths))
        os.replace(tmp, cache)
    return images, labels, groups, paths


def run(args) -> int:
    from dataclasses import replace

    from ..parsing.training import ParsingSettings, train_parsing

    given = {k: getattr(args, k) for k in ("epochs", "lr", "batch_size", "channels", "side", "boundary_weight", "seed")
             if getattr(args, k) is not None}
    settings = replace(ParsingSettings(), **given)
    images, labels, _, _ = parsing_samples_cached(args.inputs, args.limit, args.palsy_copies, settings.side,
                                                  args.samples)
    summary = train_parsing(images, labels, args.out, settings, args.inputs)
    if args.json:
        emit_json(summary)
    return 0
