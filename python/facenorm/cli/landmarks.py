"""facenorm landmarks IMG|DIR|LIST... : boxes, 68 landmarks and head pose for every image."""
import sys

from ..detection import DETECTORS
from ..landmarks.registry import SPEC_HELP
from .main import add_policy_argument, emit_json

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("landmarks", help="detect faces, 68 landmarks and head pose")
    p.add_argument("images", nargs="+", metavar="IMG|DIR|LIST", help="photos, folders of photos or text files listing them")
    p.add_argument("--detector", default="hog", choices=DETECTORS)
    p.add_argument("--model", default="dlib", metavar="SPEC", help=SPEC_HELP + " (default: dlib)")
    add_policy_argument(p)
    p.add_argument("--max-side", type=int, default=800,
                   help="detect on a copy at most this large (raise it for small faces in big photos)")
    p.add_argument("--upsample", type=int, default=0, help="detector pyramid upsampling, 0-3, for tiny faces")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data.inputs import collect_image_paths
    from ..pipeline import FacePipeline

    model = None if args.model == "dlib" else args.model
    pipeline = FacePipeline(detector=args.detector, landmark_model=model, policy=args.policy,
                            max_side=args.max_side, upsample=args.upsample)
    results = [pipeline.analyze(path) for path in collect_image_paths(args.images, absolute=False)]
    if args.json:
        emit_json({"images": [r.to_json() for r in results]})
    else:
        for r in results:
            if r.error:
                print(f"{r.path}: error: {r.error}")
            for i, f in enumerate(r.faces):
                p = f.pose
                print(f"{r.path}: face {i} box={[round(v) for v in f.box.to_list()]} "
                      f"yaw={p.yaw:.1f} pitch={p.pitch:.1f} roll={p.roll:.1f}")
    failed = sum(1 for r in results if r.error)
    if failed:
        print(f"facenorm landmarks: {failed} of {len(results)} images failed", file=sys.stderr)
    return 1 if results and failed == len(results) else 0
