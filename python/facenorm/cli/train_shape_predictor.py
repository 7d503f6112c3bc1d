"""facenorm train-shape-predictor [IMG|DIR|LIST ...] [--annotated DIR ...] --out FILE.dat | --folds K --out DIR:
retrain dlib's 68-point shape predictor (ensemble of regression trees) on normal faces (dlib's
points as pseudo-labels, plus palsy-like copies) and annotated photos; with --folds, its
cross-validation by subject against dlib's shipped model (docs/palsy.md)."""
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("train-shape-predictor",
                       help="retrain dlib's shape predictor on normal faces + annotated (palsy) photos (minutes)")
    p.add_argument("inputs", nargs="*", metavar="IMG|DIR|LIST", help="normal faces (dlib pseudo-labels + palsy copies)")
    p.add_argument("--annotated", action="append", default=[], metavar="DIR",
                   help="a folder of images with .pts or .npy landmarks (and optional meta.csv); repeatable")
    p.add_argument("--out", required=True, metavar="FILE.dat|DIR",
                   help="the model (use it with --model FILE.dat), or with --folds a folder")
    p.add_argument("--folds", type=int, default=0, help="K-fold cross-validation by subject over the annotated photos")
    p.add_argument("--limit", type=int, default=None, help="at most this many normal faces")
    p.add_argument("--no-palsy-copies", action="store_true", help="normal faces only, without their droops")
    p.add_argument("--trees", type=int, default=300, help="trees per cascade level (dlib's default 500)")
    p.add_argument("--cascade-depth", type=int, default=10)
    p.add_argument("--oversampling", type=int, default=10, help="initial shapes per sample (dlib's default 20)")
    p.add_argument("--annotated-repeat", type=int, default=4, help="copies of each annotated photo in the mix")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from .._core import InputError
    from ..data.inputs import collect_image_paths
    from ..landmarks.ert.samples import ShapeSamples, from_annotations, from_normal_faces
    from ..landmarks.ert.training import ShapeTrainerSettings, cross_validate_shape_model, train_shape_model
    from ..landmarks.fcn.annotations import read_annotated_folder

    if not args.inputs and not args.annotated:
        raise InputError("expected normal face images (IMG|DIR|LIST) and/or --annotated DIR")
    settings = ShapeTrainerSettings(cascade_depth=args.cascade_depth, trees=args.trees,
                                    oversampling=args.oversampling, annotated_repeat=args.annotated_repeat)
    base = ShapeSamples()
    if args.inputs:
        base = from_normal_faces(collect_image_paths(args.inputs)[:args.limit], not args.no_palsy_copies)
    annotated = [a for folder in args.annotated for a in read_annotated_folder(folder)]
    if args.folds:
        if not annotated:
            raise InputError("--folds cross-validates over annotated photos: give --annotated DIR")
        summary = cross_validate_shape_model(annotated, base, args.out, settings, args.folds)
    else:
        summary = train_shape_model(base.extended(from_annotations(annotated), settings.annotated_repeat),
                                    args.out, settings)
    if args.json:
        emit_json(summary)
    else:
        print({k: v for k, v in summary.items() if k != "summary"})
    return 0
