"""facenorm palsy IMG|DIR|LIST... [--ipd-mm X | --no-iris] [--model refined|dlib|fcn|DIR] [--assessment DIR|none]
[--csv FILE] [--draw DIR] --json: clinical asymmetry measures and the palsy assessment (p_palsy,
affected side, central or peripheral; docs/palsy.md)."""
from .main import add_policy_argument, emit_json

__all__ = ["register", "measure_face", "measure_image", "run"]


def register(sub):
    p = sub.add_parser("palsy", help="left/right asymmetry measures (brows, eyes, mouth corners, lip) in mm")
    p.add_argument("inputs", nargs="+", metavar="IMG|DIR|LIST")
    p.add_argument("--ipd-mm", type=float, help="the subject's inter-pupillary distance, for the mm scale")
    p.add_argument("--no-iris", action="store_true", help="do not calibrate from the iris (report pixels)")
    p.add_argument("--csv", metavar="FILE", help="one row per image (written atomically)")
    p.add_argument("--draw", metavar="DIR", help="write each face with its measures drawn as DIR/<stem>_palsy.png "
                                                 "(DIR/<stem>_face<I>_palsy.png with --policy all)")
    p.add_argument("--model", default="refined", metavar="SPEC",
                   help="landmark model: refined (default: dlib's points corrected where a face droops, "
                        "models/landmark_refiner; 30%% less asymmetry error than dlib on drooped faces), dlib, "
                        "the cascaded FCN (fcn), NAME:model=DIR, or a model folder")
    p.add_argument("--parsing", nargs="?", const="default", metavar="DIR",
                   help="also parse the face (palsy-region FPP share per side; with --draw an overlay); "
                        "DIR: a `facenorm train-parsing` folder (default: models/palsy_parsing)")
    p.add_argument("--assessment", default="default", metavar="DIR|none",
                   help="palsy assessment model (p_palsy, side, type; default: models/palsy_assessment), "
                        "or none to report the measures only")
    add_policy_argument(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def measure_face(image, box, pipeline, ipd_mm=None, use_iris=True):
    """(landmarks, measures, points for the assessment) of the face in `box`: the assessment reads
    a gated refiner's whole correction (`full`), which tells palsy from healthy faces better than
    the gated points do (docs/palsy.md); the measures and drawings use the reported points."""
    from ..palsy import asymmetry_measures, scale_from_ipd, scale_from_iris
    from ..palsy.assessment import assessment_points

    landmarks, evidence = assessment_points(pipeline.predictor, image, box)
    if ipd_mm:
        k, source = scale_from_ipd(landmarks, ipd_mm), f"ipd {ipd_mm:g} mm"
    elif use_iris:
        k, _ = scale_from_iris(image, landmarks)
        source = "iris 11.7 mm" if k else "none"
    else:
        k, source = None, "none"
    return landmarks, asymmetry_measures(landmarks, k, source), evidence


def measure_image(path, pipeline, ipd_mm=None, use_iris=True):
    """(image, landmarks, measures, points for the assessment) of the first face the pipeline's
    policy keeps (the largest by default)."""
    from .._core import read_image

    image = read_image(path)
    faces, _ = pipeline.choose(image)
    return (image,) + measure_face(image, faces[0].box, pipeline, ipd_mm, use_iris)


def _csv_rows(results, per_face=False):
    from ..palsy import MEASURES
    from ..palsy.assessment import FEATURES
    header = ["path", "error", "p_palsy", "side", "type", "p_type", "unit", "asymmetry_index",
              "smile_angle_difference"]
    header += [f"{m}_{s}" for m in MEASURES for s in ("right", "left")]
    header += [f"asym_{f}" for f in FEATURES]
    if per_face:
        header.append("face_index")
    rows = [header]
    for r in results:
        if r.get("error"):
            rows.append([r["path"], r["error"]] + [""] * (len(header) - 2))
            continue
        for face in r["faces"] if per_face else [r]:
            m, a = face["measures"], face.get("assessment") or {}
            rows.append([r["path"], "", a.get("p_palsy", ""), a.get("side", ""), a.get("type", ""), a.get("p_type", ""),
                         m["unit"], m["asymmetry_index"], m["smile_angle_difference"]] +
                        [m[s][name] for name in MEASURES for s in ("right", "left")] +
                        [a.get("features", {}).get(f, "") for f in FEATURES] +
                        ([face["face_index"]] if per_face else []))
    return rows


def _csv_line(row) -> str:
    import csv
    import io
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue()


def run(args) -> int:
    import sys
    from pathlib import Path

    from tqdm import tqdm

    from .._core import FacenormError, read_image

    from ..files import atomic_image, atomic_write_text
    from ..pipeline import FacePipeline
    from ..data.inputs import collect_image_paths
    from ..palsy import draw_asymmetry

    paths = collect_image_paths(args.inputs)
    pipeline, results = FacePipeline(landmark_model=args.model, policy=args.policy), []
    assessor = None
    if args.assessment != "none":
        from ..palsy.assessment import PalsyAssessor
        assessor = PalsyAssessor(None if args.assessment == "default" else args.assessment)
    parser = None
    if args.parsing:
        from ..parsing.model import FaceParser
        from ..parsing.photo import parse_photo
        parser = FaceParser(None if args.parsing == "default" else args.parsing)
    for path in tqdm(paths, desc="palsy", unit="img", file=sys.stderr, disable=len(paths) < 2):
        try:
            image = read_image(path)
            faces, found = pipeline.choose(image)
            entries = []
            for face in faces:
                landmarks, m, evidence = measure_face(image, face.box, pipeline, args.ipd_mm, not args.no_iris)
                assessment = assessor.assess(evidence) if assessor else None
                entry = dict(face.to_json(), measures=m.to_json(),
                             assessment=assessment.to_json() if assessment else None)
                parsed = parse_photo(parser, image, landmarks) if parser else None
                if parsed is not None:
                    entry["parsing"] = parsed.summary()
                if args.draw:
                    stem = Path(path).stem + (f"_face{face.index}" if args.policy == "all" else "")
                    atomic_image(Path(args.draw) / f"{stem}_palsy.png", draw_asymmetry(image, landmarks, m, assessment))
                    if parsed is not None:
                        atomic_image(Path(args.draw) / f"{stem}_parsing.png", parsed.overlay())
                entries.append(entry)
        except FacenormError as e:  # one bad photo does not stop a folder
            results.append({"path": path, "error": f"{type(e).__name__}: {e}"})
            continue
        first = entries[0]  # the largest face kept: the row's own values, as before --policy
        row = {"path": path, "error": None, "measures": first["measures"], "assessment": first["assessment"]}
        if "parsing" in first:
            row["parsing"] = first["parsing"]
        row.update(faces_found=found, face_index=first["face_index"], box=first["box"])
        if args.policy == "all":
            row["faces"] = entries
        results.append(row)
    if args.csv:
        atomic_write_text(args.csv, "".join(_csv_line(r) for r in _csv_rows(results, args.policy == "all")))
    if args.json:
        emit_json({"landmark_model": args.model, "policy": args.policy, "parsing_model": parser.model_dir if parser else None,
                   "assessment_model": assessor.model_dir if assessor else None,
                   "images": results})
    else:
        for r in results:
            m = r.get("measures")
            a = r.get("assessment")
            verdict = (f"; p(palsy) {a['p_palsy']:.2f}" + (f", {a['side']} side, {a['type']} (p {a['p_type']:.2f})"
                                                          if a["side"] != "none" else "")) if a else ""
            print(f"{r['path']}: " + (r["error"] if r["error"] else
                                      f"asymmetry index {m['asymmetry_index']:.1f}% ({m['unit']}){verdict}"))
    if results and all(r["error"] for r in results):
        return 1
    return 0
