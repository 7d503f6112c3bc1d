"""facenorm calibrate-appraisal [--data ../shared/data] [--model DIR]: refit the default appraisal's
inpainting threshold and normality percentiles on the held-out calibration half (docs/appraisal.md)."""
from .main import emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("calibrate-appraisal", help="calibrate the appraisal's normality on held-out normal faces")
    p.add_argument("--data", default="../shared/data", metavar="DIR")
    p.add_argument("--model", metavar="DIR", help="the anomaly model folder (default: the shipped one)")
    p.add_argument("--per-group", type=int, default=100, help="held-out faces per UTKFace age group (default 100)")
    p.add_argument("--fill", choices=("telea", "ns", "network"), default="network",
                   help="map-inpaint's fill; the appraisal uses the one it was calibrated with (default network)")
    p.add_argument("--inpainter", metavar="DIR", help="the inpainting network for --fill network (default: the shipped one)")
    p.add_argument("--threshold-percentile", type=float, default=90.0, metavar="P",
                   help="map-inpaint fills where the map exceeds the P-th percentile of held-out normal faces' "
                        "maxima in the mouth-and-nose region (default 90)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..appraisal.calibrate_job import calibrate_appraisal
    from ..models import model_dir

    summary = calibrate_appraisal(args.data, args.model or model_dir("anomaly_padim"), per_group=args.per_group,
                                  fill=args.fill, inpainter=args.inpainter, threshold_percentile=args.threshold_percentile)
    if args.json:
        emit_json(summary)
    return 0
