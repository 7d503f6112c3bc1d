"""facenorm train-landmark-refiner [IMG|DIR|LIST ...] [--annotated DIR ...] --out MODEL_DIR: fit
the palsy-aware refinement of dlib's points (facenorm.landmarks.refine) on normal faces (truth:
dlib's points) and their palsy-like copies (truth: the transform's exact points), and/or
annotated folders; with --folds K the subject-independent K-fold cross-validation against dlib
instead (docs/palsy.md)."""
from .main import emit_json

__all__ = ["register", "build_refine_samples", "started_from", "run"]


def register(sub):
    p = sub.add_parser("train-landmark-refiner",
                       help="fit the cascade that corrects dlib's points on drooping faces (minutes on CPU)")
    p.add_argument("inputs", nargs="*", metavar="IMG|DIR|LIST", help="normal faces (dlib labels + palsy copies)")
    p.add_argument("--annotated", action="append", default=[], metavar="DIR",
                   help="a folder of images with .pts or .npy landmarks (and optional meta.csv); repeatable")
    p.add_argument("--out", required=True, metavar="MODEL_DIR")
    p.add_argument("--palsy-copies", default="both", choices=["both", "one", "none"],
                   help="palsy-like copies of each normal face: both sides (default), one drawn per face, none")
    p.add_argument("--samples", metavar="FILE.npz", help="keep the built samples here and reuse them when it exists")
    p.add_argument("--limit", type=int, default=None, help="at most this many normal faces")
    p.add_argument("--folds", type=int, default=0,
                   help="K-fold cross-validation by subject against dlib instead of one model (crossval.md, paired.md)")
    p.add_argument("--stages", type=int)
    p.add_argument("--grid", type=int, help="cells per side about each point")
    p.add_argument("--cell", type=int, help="cell side in canonical pixels (the template's eye corners are 80 apart)")
    p.add_argument("--penalties", type=float, nargs="+", help="ridge penalties to choose from on the development split")
    p.add_argument("--deadbands", type=float, nargs="+",
                   help="deadbands (fractions of the eye-corner distance) to choose from on the development split")
    p.add_argument("--perturbations", type=int,
                   help="extra jittered dlib starts per annotated photo (default 0)")
    p.add_argument("--annotated-weight", type=float,
                   help="weight of each annotated photo against one synthetic sample in the fit (default 1)")
    p.add_argument("--start", metavar="REFINER",
                   help="learn from the points of this refiner (a model name such as landmark_refiner_synthetic, "
                        "or a folder) instead of dlib's; the model chains it at inference")
    p.add_argument("--gate", metavar="ASSESSMENT",
                   help="apply the correction as far as this palsy assessment (a model name such as "
                        "palsy_assessment, or a folder) finds the face palsied; see --gate-range")
    p.add_argument("--gate-range", type=float, nargs=2, default=(0.4, 0.8), metavar=("LOW", "HIGH"),
                   help="p_palsy at which the correction starts and is whole (default 0.4 0.8)")
    p.add_argument("--seed", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def build_refine_samples(args, progress=True):
    """The RefineSet of the command's inputs (normal faces first, then annotated folders)."""
    from ..landmarks.refine.samples import RefineSet
    from ..landmarks.sample_builder import samples_for_command

    return samples_for_command(args, RefineSet, progress=progress)


def started_from(samples, name):
    """The samples with their start points moved by the refiner `name` (a chain's first link)."""
    import os
    from dataclasses import replace

    import numpy as np

    from ..landmarks.refine.model import chained_start

    start = chained_start(name, os.getcwd())
    moved = np.stack([start.cascade.refine(im, s) for im, s in zip(samples.images, samples.start)])
    return replace(samples, start=moved.astype(np.float32))


def run(args) -> int:
    from dataclasses import replace

    from ..landmarks.refine.training import RefinerSettings, train_refiner

    given = {k: getattr(args, k) for k in ("stages", "grid", "cell", "seed") if getattr(args, k) is not None}
    if args.penalties:
        given["penalties"] = tuple(args.penalties)
    if args.deadbands:
        given["deadbands"] = tuple(args.deadbands)
    if args.annotated_weight is not None:
        given["annotated_weight"] = args.annotated_weight
    if args.perturbations is not None:
        given["perturbations"] = args.perturbations
    settings = replace(RefinerSettings(), **given)
    samples = build_refine_samples(args)
    source = list(args.inputs) + [f"annotated:{a}" for a in args.annotated]
    dlib_points = samples.start
    if args.start:
        samples = started_from(samples, args.start)
    if args.folds:
        from ..landmarks.refine.crossval import cross_validate_refiner
        summary = cross_validate_refiner(samples, args.out, settings, args.folds, source, dlib=dlib_points)
        if args.json:
            emit_json(summary)
        else:
            with open(f"{args.out}/crossval.md") as f:
                print(f.read(), end="")
        return 0
    gate = {"model": args.gate, "low": args.gate_range[0], "high": args.gate_range[1]} if args.gate else None
    summary = train_refiner(samples, args.out, settings, source, gate=gate, start_model=args.start)
    if gate:
        from ..landmarks.refine.model import RefinedLandmarker
        RefinedLandmarker(args.out)  # the gate's model must load now, not at the first photo
    if args.json:
        emit_json(summary)
    else:
        for h in summary["history"]:
            print(f"stage {h['stage']}: development error (fraction of the eye-corner distance) {h['dev_error']}")
    return 0
