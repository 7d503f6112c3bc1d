"""facenorm classify IMG... [--model DIR] [--out DIR]: lip abnormality of each photo (detect,
align, normalize, Siamese); with --out, PNGs of each photo's lip crop, normalized crop and CAM."""
from ..detection import DETECTORS
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("classify", help="p(abnormal lip) of photos with the Siamese classifier (ICMI 2024)")
    p.add_argument("images", nargs="+", metavar="IMG", help="photos (a bad file is reported, not fatal)")
    p.add_argument("--model", metavar="DIR", help="a `facenorm train` model folder (default: models/lip_classifier)")
    p.add_argument("--out", metavar="DIR", help="write <stem>_crop.png, <stem>_normalized.png and <stem>_cam.png here")
    p.add_argument("--detector", default="hog", choices=DETECTORS)
    p.add_argument("--normalizer", help="override the normalizer the model was trained with (not advised)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _write_pictures(out_dir, path, result) -> dict:
    import os

    from .. import _core
    from ..lipdetect.figures import cam_overlay

    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(path))[0]
    files = {"crop": result["original"], "normalized": result["normalized"],
             "cam": cam_overlay(result["original"], result["cam"])}
    written = {}
    for kind, image in files.items():
        target = os.path.join(out_dir, f"{stem}_{kind}.png")
        _core.write_image(target, image)
        written[kind] = target
    return written


def run(args) -> int:
    import sys

    from .. import _core

    from .._core import FacenormError
    from ..lipdetect.classify import PhotoClassifier
    from ..lipdetect.model import LipModel

    classifier = PhotoClassifier(LipModel(args.model, threads=args.threads), args.detector, args.normalizer)
    from tqdm import tqdm

    rows = []
    for path in tqdm(args.images, desc="classify", unit="img", file=sys.stderr, disable=len(args.images) < 2):
        row = {"path": path, "p_abnormal": None, "label": None, "error": None}
        try:
            result = classifier.classify_image(_core.read_image(path), with_cam=bool(args.out))
            row["p_abnormal"], row["label"] = round(result["p_abnormal"], 6), result["label"]
            if args.out:
                row["pictures"] = _write_pictures(args.out, path, result)
        except FacenormError as e:
            row["error"], row["error_type"] = str(e), type(e).__name__
        rows.append(row)
        if not args.json:
            print(f"{path}: " + (f"p(abnormal) {row['p_abnormal']:.3f} -> {row['label']}" if row["error"] is None
                                 else f"error: {row['error']}"), file=sys.stdout)
    if args.json:
        emit_json({"images": rows, "model": classifier.model.model_dir, "normalizer": classifier.normalizer_spec})
    return 1 if all(r["error"] is not None for r in rows) else 0  # as `landmarks`: only when nothing worked
