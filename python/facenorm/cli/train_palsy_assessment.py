"""facenorm train-palsy-assessment --annotated DIR ... [--landmarks PRED.npz | --model SPEC] --out DIR:
fit the palsy assessment (p_palsy, side, central/peripheral) on annotated photos of central
palsy, peripheral palsy and healthy faces, cross-validated by subject (docs/palsy.md)."""
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("train-palsy-assessment",
                       help="fit p_palsy / side / type on annotated palsy and healthy photos (seconds)")
    p.add_argument("--annotated", action="append", default=[], metavar="DIR",
                   help="folders of photos with .npy/.pts landmarks and meta.csv (group central, peripheral or "
                        "healthy); repeatable")
    p.add_argument("--landmarks", metavar="PRED.npz",
                   help="the landmarks to learn from: out-of-fold predictions written by "
                        "`train-landmark-refiner --folds` (predictions.npz); default: run --model on the photos")
    p.add_argument("--model", default="refined", metavar="SPEC",
                   help="landmarker run on the photos when --landmarks is not given (default refined)")
    p.add_argument("--normal", nargs="+", default=[], metavar="IMG|DIR|LIST",
                   help="normal faces of every age, extra healthy examples for p_palsy (their landmarks by --model; "
                        "never in the evaluation)")
    p.add_argument("--normal-weight", type=float, default=0.1,
                   help="weight of each normal face against an annotated photo (default 0.1)")
    p.add_argument("--folds", type=int, default=5, help="subject-disjoint folds of the cross-validation")
    p.add_argument("--out", required=True, metavar="DIR", help="model.json (with the cross-validated figures)")
    p.add_argument("--predictions", metavar="FILE.json", help="also write each photo's out-of-fold probabilities")
    p.add_argument("--figure", metavar="FILE.png",
                   help="ROC and calibration of the out-of-fold p_palsy (with --landmarks also on dlib's and the "
                        "hand-clicked points, for comparison); no photo is drawn")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _figure(data, cv, folds, path) -> None:
    from dataclasses import replace

    from ..palsy.assessment_training import cross_validate_assessment
    from ..palsy.figures import roc_calibration_figure

    curves = {"refined points": cv["out_of_fold"]["p_palsy"]}
    data = replace(data, normal=None)  # the comparison curves: the annotated photos alone
    for label, points in (("dlib's points", data.dlib), ("hand-clicked points", data.truth)):
        if points is not None:
            curves[label] = cross_validate_assessment(replace(data, landmarks=points), folds=folds)["out_of_fold"]["p_palsy"]
    roc_calibration_figure(curves, data.palsy, path)


def run(args) -> int:
    import os

    from .._core import InputError
    from ..files import atomic_json
    from ..palsy.assessment_training import (cross_validate_assessment, data_from_annotations,
                                             data_from_predictions, fit_assessment)

    if args.landmarks:
        data = data_from_predictions(args.landmarks)
    elif args.annotated:
        from ..landmarks.fcn.annotations import read_annotated_folder
        annotated = [a for folder in args.annotated for a in read_annotated_folder(folder)]
        data = data_from_annotations(annotated, args.model)
    else:
        raise InputError("expected --annotated DIR (photos with landmarks and meta.csv) or --landmarks PRED.npz")
    if args.normal:
        from ..data.inputs import collect_image_paths
        from ..palsy.assessment_training import normal_points
        data.normal, data.normal_weight = normal_points(collect_image_paths(args.normal), args.model), args.normal_weight
    cv = cross_validate_assessment(data, folds=args.folds)
    spec = fit_assessment(data, cv["penalty"])
    spec["training"] = {"photos": len(data.groups), "subjects": len(set(data.subjects)),
                        "groups": {g: data.groups.count(g) for g in sorted(set(data.groups))},
                        "landmarks": args.landmarks or f"model {args.model}",
                        "source": list(args.annotated),
                        "normal_faces": 0 if data.normal is None else len(data.normal),
                        "normal_weight": args.normal_weight if args.normal else None,
                        "crossval": {k: v for k, v in cv.items() if k != "out_of_fold"}}
    os.makedirs(args.out, exist_ok=True)
    if args.predictions:  # per-photo figures stay where the user asks, never in a shipped model folder
        atomic_json(args.predictions, cv["out_of_fold"])
    atomic_json(os.path.join(args.out, "model.json"), spec)  # last: a folder with model.json is complete
    if args.figure:
        _figure(data, cv, args.folds, args.figure)
    summary = {"out": os.path.abspath(args.out), **spec["training"]["crossval"]}
    if args.json:
        emit_json(summary)
    else:
        print(f"{args.folds}-fold by subject: AUC palsy vs healthy {cv['auc_palsy']['auc']:.3f} "
              f"(95% CI {cv['auc_palsy']['ci95'][0]:.3f}-{cv['auc_palsy']['ci95'][1]:.3f}), "
              f"peripheral vs central {cv['auc_type']['auc']:.3f}; Brier {cv['brier_palsy']:.3f}; "
              f"model in {args.out}")
    return 0
