"""facenorm classify IMG|DIR|LIST... [--model DIR] [--out DIR] [--policy largest|all|error]: lip abnormality
of each photo (detect, align, normalize, Siamese); with --out, PNGs of each photo's lip crop,
normalized crop and CAM."""
from ..detection import DETECTORS
from .main import add_policy_argument, emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("classify", help="p(abnormal lip) of photos with the Siamese classifier (ICMI 2024)")
    p.add_argument("images", nargs="+", metavar="IMG|DIR|LIST",
                   help="photos, folders of photos or text files listing them (a bad file is reported, not fatal)")
    p.add_argument("--model", metavar="DIR", help="a `facenorm train` model folder (default: models/lip_classifier)")
    p.add_argument("--out", metavar="DIR", help="write <stem>_crop.png, <stem>_normalized.png and <stem>_cam.png here "
                                                "(<stem>_face<I>_crop.png ... with --policy all)")
    p.add_argument("--detector", default="hog", choices=DETECTORS)
    p.add_argument("--normalizer", help="override the normalizer the model was trained with (not advised)")
    p.add_argument("--threads", type=int, default=2)
    add_policy_argument(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _write_pictures(out_dir, stem, result) -> dict:
    import os

    from ..files import atomic_image
    from ..lipdetect.figures import cam_overlay

    os.makedirs(out_dir, exist_ok=True)
    files = {"crop": result["original"], "normalized": result["normalized"],
             "cam": cam_overlay(result["original"], result["cam"])}
    written = {}
    for kind, image in files.items():
        target = os.path.join(out_dir, f"{stem}_{kind}.png")
        atomic_image(target, image)
        written[kind] = target
    return written


def _classify_faces(classifier, image, path, args) -> list:
    """One entry per face the policy keeps: face_index, box, p_abnormal, label[, pictures]."""
    import os

    faces, found = classifier.pipeline.choose(image)
    entries = []
    stem = os.path.splitext(os.path.basename(path))[0]
    for face in faces:
        landmarks = classifier.pipeline.predictor.predict(image, face.box)
        result = classifier.classify_image(image, with_cam=bool(args.out), landmarks=landmarks)
        entry = dict(face.to_json(), p_abnormal=round(result["p_abnormal"], 6), label=result["label"])
        if args.out:
            entry["pictures"] = _write_pictures(args.out, stem if args.policy != "all" else f"{stem}_face{face.index}",
                                                result)
        entries.append(entry)
    return entries, found


def run(args) -> int:
    import sys

    from .. import _core

    from .._core import FacenormError
    from ..data.inputs import collect_image_paths
    from ..lipdetect.classify import PhotoClassifier
    from ..lipdetect.model import LipModel

    paths = collect_image_paths(args.images, absolute=False)
    classifier = PhotoClassifier(LipModel(args.model, threads=args.threads), args.detector, args.normalizer)
    classifier.pipeline.policy = args.policy
    from tqdm import tqdm

    rows = []
    for path in tqdm(paths, desc="classify", unit="img", file=sys.stderr, disable=len(paths) < 2):
        row = {"path": path, "p_abnormal": None, "label": None, "error": None}
        try:
            entries, row["faces_found"] = _classify_faces(classifier, _core.read_image(path), path, args)
            first = entries[0]  # the largest face kept: the row's own values, as before --policy
            row.update(p_abnormal=first["p_abnormal"], label=first["label"], face_index=first["face_index"],
                       box=first["box"])
            if "pictures" in first and args.policy != "all":
                row["pictures"] = first["pictures"]
            if args.policy == "all":
                row["faces"] = entries
        except FacenormError as e:
            row["error"], row["error_type"] = str(e), type(e).__name__
        rows.append(row)
        if not args.json:
            if row["error"] is not None:
                print(f"{path}: error: {row['error']}")
            for e in row.get("faces") or ([row] if row["error"] is None else []):
                print(f"{path}: face {e['face_index']} p(abnormal) {e['p_abnormal']:.3f} -> {e['label']}")
    if args.json:
        emit_json({"images": rows, "model": classifier.model.model_dir, "normalizer": classifier.normalizer_spec,
                   "policy": args.policy})
    return 1 if rows and all(r["error"] is not None for r in rows) else 0  # as `landmarks`: only when nothing worked
