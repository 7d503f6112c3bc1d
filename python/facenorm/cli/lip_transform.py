"""facenorm lip-transform IMG --method lt-v1|lt-v2 ... --out PNG: one synthetic cleft-like lip."""
from pathlib import Path

from .main import emit_json

__all__ = ["add_anchor_option", "register", "run"]


def add_anchor_option(parser):
    """--anchor of LT-v2 (facenorm.lipsynth.lt_v2), shared by lip-transform and synth."""
    parser.add_argument("--anchor", default="corner", choices=["corner", "bow"],
                        help="lt-v2: corner = the official code's construction (x from corner 48 in mouth widths, "
                             "y at 51, no rotation); bow = facenorm's earlier one (x at 51, rotated to the "
                             "corner line)")


def register(sub):
    p = sub.add_parser("lip-transform", help="synthesize a cleft-like upper lip on one face (LT-v1 / LT-v2)")
    p.add_argument("image", metavar="IMG")
    p.add_argument("--method", default="lt-v2", choices=["lt-v1", "lt-v2"])
    p.add_argument("--template", default=None,
                   help="lt-v2: a template file (.npy/.pts), a folder of them (random choice with --seed) "
                        "or a built-in name (default: a random built-in); lt-v1: the displacement name")
    p.add_argument("--severity", type=float, default=1.0, help="0 (identity) to 1 (full transfer)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random template choice")
    add_anchor_option(p)
    p.add_argument("--out", required=True, metavar="PNG", help="where to write the transformed image")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _lt_v2_templates(spec):
    from .._core import InputError
    from ..lipsynth import default_lip_templates, lip_templates_in, load_lip_template

    builtin = default_lip_templates()
    if spec is None:
        return builtin
    if spec in builtin:
        return {spec: builtin[spec]}
    path = Path(spec)
    if path.is_dir():
        return lip_templates_in(path)
    if path.exists():
        return {str(path): load_lip_template(path)}
    raise InputError(f"--template: '{spec}' is neither a file, a folder nor a built-in template "
                     f"({', '.join(sorted(builtin))})")


def run(args) -> int:
    from .._core import read_image

    from ..files import atomic_image
    from ..pipeline import FacePipeline
    from ..lipsynth import LT_V1_TRANSFORMS, lip_transform_v1, lip_transform_v2

    image = read_image(args.image)
    landmarks = FacePipeline().faces(image)[0].landmarks
    if args.method == "lt-v2":
        result = lip_transform_v2(image, landmarks, _lt_v2_templates(args.template), args.severity, args.seed,
                                  anchor=args.anchor)
    else:
        result = lip_transform_v1(image, landmarks, args.template or LT_V1_TRANSFORMS[0], args.severity)
    atomic_image(args.out, result.image)
    if args.json:
        doc = result.to_json()
        emit_json({k: doc[k] for k in ("landmarks_before", "landmarks_after", "template", "severity", "anchor")})
    return 0
