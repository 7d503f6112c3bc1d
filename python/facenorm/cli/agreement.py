"""facenorm agreement ORIGINALS --normalized DIR --ratings CSV: the paper's Table 1 on your survey.

ORIGINALS: the rated photos (files, folders or lists); DIR holds each one's normalized version
under the same file stem. Ratings: a CSV of (image id, rating) rows, several raters per image
averaged (docs/agreement.md). Prints Pearson r x 100 between S and the mean rating per heatmap
method x region x variant, in the layout of the PLOS ONE 2023 paper's Table 1.
"""
from .main import emit_json

__all__ = ["IMAGE_SUFFIXES", "register", "face_pairs", "run"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def register(sub):
    p = sub.add_parser("agreement", help="Table 1: correlation of scores with human ratings, every ablation")
    p.add_argument("originals", nargs="+", metavar="IMG|DIR|LIST", help="the rated photos")
    p.add_argument("--normalized", required=True, metavar="DIR", help="their normalized versions (same stems)")
    p.add_argument("--ratings", required=True, metavar="CSV", help="image id, rating rows (docs/agreement.md)")
    p.add_argument("--methods", default="pse,ssim,deep", help="comma-separated: pse, ssim, deep, lpips:PATH")
    p.add_argument("--regions", default="mouth_nose,face_no_eyes", help="comma-separated regions")
    p.add_argument("--csv", metavar="FILE", help="also write one row per cell here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _normalized_for(original, folder):
    from pathlib import Path

    from .._core import MissingFileError
    stem = Path(original).stem
    for suffix in IMAGE_SUFFIXES + tuple(s.upper() for s in IMAGE_SUFFIXES):
        candidate = Path(folder) / (stem + suffix)
        if candidate.is_file():
            return str(candidate)
    raise MissingFileError(f"--normalized {folder}: no normalized image named {stem}.* for {original}")


def face_pairs(paths, normalized_dir):
    """Lazily: (id, original, normalized, landmarks) per photo; landmarks from a sidecar or detected."""
    from pathlib import Path
    from types import SimpleNamespace

    from .._core import InputError, read_image

    from ..pipeline import FacePipeline
    from ..data.landmark_files import find_sidecar_landmarks, read_landmark_file
    pipeline = FacePipeline()
    for path in paths:
        original, normalized = read_image(path), read_image(_normalized_for(path, normalized_dir))
        if normalized.shape != original.shape:
            raise InputError(f"{path}: its normalized version is {normalized.shape[1]}x{normalized.shape[0]}, "
                             f"expected the same size {original.shape[1]}x{original.shape[0]}")
        sidecar = find_sidecar_landmarks(path)
        landmarks = read_landmark_file(sidecar) if sidecar else pipeline.faces(original)[0].landmarks
        yield SimpleNamespace(id=Path(path).stem, original=original, normalized=normalized, landmarks=landmarks)


def run(args) -> int:
    import sys

    from ..data.inputs import collect_image_paths
    from ..stats.ablation import ablation_table

    methods = tuple(m for m in args.methods.split(",") if m)
    regions = tuple(r for r in args.regions.split(",") if r)
    table = ablation_table(face_pairs(collect_image_paths(args.originals), args.normalized), args.ratings,
                           methods=methods, regions=regions)
    if args.csv:
        table.to_csv(args.csv)
    if args.json:
        emit_json({"table": table.to_markdown(ci=True), **table.as_dict()})
    else:
        sys.stdout.write(table.to_markdown(ci=True) + "\n")
    return 0
