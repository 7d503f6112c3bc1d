"""facenorm train-anomaly-student --cache FILE.h5 --out DIR: the distillation anomaly model
(JBHI 2025): a student trained on the normal faces of a `fit-anomaly-model` feature cache to
reproduce the frozen ResNet-34 teacher's embedding; the map is their discrepancy
(docs/appraisal.md). Resumable: rerun the same command after a kill."""
from .main import emit_json, positive_int

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("train-anomaly-student",
                       help="train the distillation student of the appraisal's anomaly map (~40 min on 2 cores)")
    p.add_argument("--cache", required=True, metavar="FILE.h5",
                   help="the feature cache `facenorm fit-anomaly-model` wrote (teacher embeddings and landmarks)")
    p.add_argument("--out", required=True, metavar="DIR", help="the model folder (checkpoints, then model.json)")
    p.add_argument("--epochs", type=positive_int, default=4, help="passes over the faces and their mirrors (default 4)")
    p.add_argument("--width", type=positive_int, default=32, help="the student's first-stage channels (default 32)")
    p.add_argument("--batch", type=positive_int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--limit", type=positive_int, help="use only the cache's first N faces (a quick trial)")
    p.add_argument("--calibration-per-group", type=int, default=100,
                   help="held-out faces per age group for the appraisal's calibration (0 skips it)")
    p.add_argument("--data", default="../shared/data", metavar="DIR", help="normal faces for the calibration")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..appraisal.calibrate_job import calibrate_appraisal
    from ..appraisal.student_fit import StudentSettings, train_student

    settings = StudentSettings(width=args.width,
                               epochs=args.epochs,
                               batch=args.batch, lr=args.lr, limit=args.limit)
    summary = train_student(args.cache, args.out, settings)
    if args.calibration_per_group:
        summary["calibration"] = calibrate_appraisal(args.data, args.out, per_group=args.calibration_per_group)
    if args.json:
        emit_json(summary)
    return 0
