"""facenorm score IMG [--age YEARS] [--heatmap PNG] --json  (the default appraisal: no reference needed),
facenorm score IMG --reference NORM | --normalizer NAME [--region R] [--heatmap PNG] --json  (one pair), or
facenorm score --dataset FILE.h5 [--reference-dataset PARENT.h5]  (every record against its parent).

The default (docs/appraisal.md) maps IMG against normal faces of every age, inpaints what the map
flags, and compares the face with its inpainted version; normality is the face's percentile among
held-out normal faces (of its age group with --age). With --reference, NORM is IMG's normalized
version, pixel-aligned, same size, and S is eq. 6 of the PLOS ONE 2023 paper (docs/scoring.md).
Either way, larger score = more normal.
"""
from ..geometry import REGIONS as REGION_CHOICES
from .main import add_policy_argument, emit_json
from .prepare import add_cluster_arguments

__all__ = ["register", "run", "run_appraisal"]


def register(sub):
    p = sub.add_parser("score", help="anomaly heatmap and score of a face against its normalized version")
    p.add_argument("image", nargs="?", metavar="IMG", help="the face as photographed")
    p.add_argument("--reference", metavar="IMG", help="its normalized version (pixel-aligned, same size)")
    p.add_argument("--normalizer", metavar="NAME", help="normalize IMG with this normalizer instead of --reference")
    p.add_argument("--age", type=float, metavar="YEARS",
                   help="default appraisal: normality among held-out normal faces of this age group")
    p.add_argument("--model", metavar="DIR", help="default appraisal: the anomaly model folder (default: the shipped one)")
    p.add_argument("--region", default=None, choices=REGION_CHOICES,
                   help="where to score (default: mouth for the default appraisal, the lips and the skin around "
                        "them up to the nostrils; mouth_nose, the paper's 'mouth only' setting, with "
                        "--reference/--normalizer/--dataset)")
    p.add_argument("--method", default="pse", help="pse (default), ssim, deep, or lpips:PATH (TorchScript)")
    p.add_argument("--colour", default="ycbcr", choices=["ycbcr", "rgb"])
    p.add_argument("--erosion", type=int, default=3, help="erosion size (odd; 0 = off). Default 3")
    p.add_argument("--soft-sigma", type=float, default=0.0, help="soften the region edge (Gaussian sigma, px)")
    p.add_argument("--landmarks", metavar="FILE", help="IMG's 68 landmarks (.npy/.pts/.txt) instead of detecting")
    p.add_argument("--heatmap", metavar="PNG", help="write original | normalized | heatmap overlay here "
                                                    "(with --policy all: PNG for the largest face, <stem>_face<I>.png "
                                                    "beside it for the others)")
    p.add_argument("--calibration", metavar="JSON", help="normality calibration file (default: the shipped one)")
    p.add_argument("--dataset", metavar="FILE.h5", help="batch: score every record of this dataset against its parent")
    p.add_argument("--reference-dataset", metavar="PARENT.h5",
                   help="batch: the file the records' parent_id points into (default: the source in FILE's params)")
    p.add_argument("--store-heatmaps", action="store_true", help="batch: also store float16 heatmaps in FILE")
    add_cluster_arguments(p)
    add_policy_argument(p)
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.set_defaults(func=run)


def _normalizer_pair(image, landmarks, name):
    """(normalized image, its name) from a registered normalizer."""
    from .._core import InputError
    try:
        from ..normalize import get_normalizer
    except ImportError:
        raise InputError(f"--normalizer {name}: no normalizers are available in this build; "
                         "pass the normalized image with --reference") from None
    normalizer = get_normalizer(name)
    return normalizer.normalize(image, landmarks).image, repr(normalizer)


def _faces(args, image):
    """[(FaceChoice or None, landmarks)], faces_found: the faces --policy keeps with their landmarks,
    or the --landmarks file's face ([(None, points)], None: nothing detected)."""
    if args.landmarks:
        from ..data.landmark_files import read_landmark_file
        return [(None, read_landmark_file(args.landmarks))], None
    from ..pipeline import FacePipeline
    pipeline = FacePipeline(policy=args.policy)
    faces, found = pipeline.choose(image)
    return [(face, pipeline.predictor.predict(image, face.box)) for face in faces], found


def _heatmap_path(args, face) -> str:
    """--heatmap for the largest face kept; <stem>_face<I><ext> beside it for the others (--policy all)."""
    import os
    if face is None or face.index == 0 or args.policy != "all":
        return args.heatmap
    stem, ext = os.path.splitext(args.heatmap)
    return f"{stem}_face{face.index}{ext or '.png'}"


def _face_keys(face, found) -> dict:
    """faces_found, face_index and box of a scored face (null with --landmarks: nothing was detected)."""
    keys = {"faces_found": found, "face_index": None, "box": None}
    if face is not None:
        keys.update(face.to_json())
    return keys


def _single_document(docs, args) -> dict:
    """The first face's document (the largest kept: the shape without --policy), with `faces`, one
    document per face, under --policy all."""
    doc = dict(docs[0])
    if args.policy == "all":
        doc["faces"] = docs
    return doc


def run(args) -> int:
    from .._core import InputError, read_image

    from ..files import atomic_image
    from .main import UsageError

    pair_region = args.region or "mouth_nose"
    if args.landmarks and args.policy != "largest":
        raise UsageError("score: --policy chooses among detected faces; --landmarks gives the one face to score")
    if args.dataset:
        if args.image or args.reference:
            raise UsageError("--dataset scores a dataset file; do not also pass IMG or --reference")
        if args.policy != "largest":
            raise UsageError("score: --policy is for IMG; --dataset records are one face each")
        from ..score.batch import score_dataset
        summary = score_dataset(args.dataset, reference_dataset=args.reference_dataset, region=pair_region,
                                method=args.method, colour=args.colour, erosion=args.erosion,
                                soft_sigma=args.soft_sigma, store_heatmaps=args.store_heatmaps,
                                scheduler=args.scheduler, workers=args.workers, shard_size=args.shard_size)
        if args.json:
            emit_json(summary)
        return 0
    if args.scheduler or args.workers is not None or args.shard_size is not None:
        raise UsageError("score: --scheduler/--workers/--shard-size are for --dataset FILE.h5")
    if not args.image:
        raise UsageError("score: expected IMG (and --reference NORM or --normalizer NAME), or --dataset FILE.h5")
    if args.reference and args.normalizer:
        raise UsageError("score: give at most one of --reference IMG or --normalizer NAME")
    if not args.reference and not args.normalizer:
        return run_appraisal(args)
    if args.age is not None or args.model:
        raise UsageError("score: --age and --model belong to the default appraisal, not to --reference/--normalizer")
    from ..score import Calibration, score_pair
    from ..report import score_figure

    image = read_image(args.image)
    if args.reference:
        normalized, normalizer = read_image(args.reference), "reference"
        if normalized.shape != image.shape:
            raise InputError(f"--reference {args.reference}: expected the same size as {args.image} "
                             f"({image.shape[1]}x{image.shape[0]}), got {normalized.shape[1]}x{normalized.shape[0]}")
    calibration = Calibration.load(args.calibration) if args.calibration else None
    faces, found = _faces(args, image)
    docs, results = [], []
    for face, landmarks in faces:
        if not args.reference:
            normalized, normalizer = _normalizer_pair(image, landmarks, args.normalizer)
        result = score_pair(image, normalized, landmarks, region=pair_region, method=args.method, colour=args.colour,
                            erosion=args.erosion, soft_sigma=args.soft_sigma, normalizer=normalizer,
                            calibration=calibration)
        doc = result.to_json()
        if args.heatmap:
            normality = "n/a" if result.normality is None else f"{result.normality:.0f}"
            caption = f"S = {result.score:.3f} (larger = more normal)   normality {normality}/100   region {pair_region}"
            label = f"{args.method} {args.colour} e{args.erosion}"
            doc["heatmap"] = atomic_image(_heatmap_path(args, face),
                                          score_figure(image, normalized, result.heatmap, result.mask, caption, label))
        doc.update(_face_keys(face, found))
        docs.append(doc)
        results.append(result)
    if args.json:
        emit_json(_single_document(docs, args))
    else:
        for doc, result in zip(docs, results):
            print(f"S = {result.score:.4f}  normality = {result.normality}  ({pair_region}, {result.pixels:.0f} px"
                  + ("" if doc["face_index"] is None else f", face {doc['face_index']}") + ")")
    return 0


def run_appraisal(args) -> int:
    """The default: no reference, no normalizer named (docs/appraisal.md)."""
    from .._core import read_image
    from ..appraisal.appraise import DEFAULT_REGION, Appraiser
    from ..files import atomic_image

    if args.calibration:
        from .main import UsageError
        raise UsageError("score: --calibration is for --reference/--normalizer scoring; the default appraisal "
                         "is calibrated by its model folder")
    image = read_image(args.image)
    from .._core import NoFaceError
    try:
        faces, found = _faces(args, image)
    except NoFaceError:
        if args.policy != "largest":
            raise
        faces, found = [(None, None)], 0  # the appraisal's own fallback for tight pre-aligned crops
    appraiser = Appraiser(model=args.model)
    region = args.region or DEFAULT_REGION
    docs, results = [], []
    for face, landmarks in faces:
        result = appraiser.appraise(image, landmarks, age=args.age, region=region)
        doc = result.to_json()
        if args.heatmap:
            from ..appraisal.figure import appraisal_figure
            final = appraiser.final_heatmap(result)
            normality = "n/a" if result.normality is None else f"{result.normality:.0f}"
            caption = (f"score {result.score:.2f} (larger = more normal)   normality {normality}/100 among "
                       f"{result.normality_group or 'n/a'}   region {region}")
            doc["heatmap"] = atomic_image(_heatmap_path(args, face), appraisal_figure(result, final, caption))
        doc.update(_face_keys(face, found))
        docs.append(doc)
        results.append(result)
    if args.json:
        emit_json(_single_document(docs, args))
    else:
        for doc, result in zip(docs, results):
            print(f"score = {result.score:.4f}  normality = {doc['normality']}  ({region}, among "
                  f"{result.normality_group or 'n/a'}" + ("" if doc["face_index"] is None else
                                                         f", face {doc['face_index']}") + ")")
    return 0
