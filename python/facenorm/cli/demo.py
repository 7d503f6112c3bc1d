"""facenorm demo [IMG|DIR|LIST ...] --out DIR : the main job on the embedded default, as an HTML report.

With no inputs it uses the face photo that Debian's python3-skimage ships (astronaut.png), so it
runs on any fresh machine once scripts/install_deps.sh has run.
"""
import sys
import time
from pathlib import Path

from ..detection import DETECTORS
from ..geometry import REGIONS
from .demo_appraisal import appraisal_section
from .demo_lip import lip_classifier_section
from .demo_parsing import parsing_figures
from .main import emit_json

__all__ = ["DEFAULT_IMAGES", "register", "default_inputs", "run"]

DEFAULT_IMAGES = ["/usr/lib/python3/dist-packages/skimage/data/astronaut.png",
                  "/usr/lib/python3/dist-packages/imageio/resources/images/astronaut.png"]


def register(sub):
    p = sub.add_parser("demo", help="run the appraisal on the embedded default (or given images) into an HTML report")
    p.add_argument("inputs", nargs="*", metavar="IMG|DIR|LIST", help="extra images or folders (default: astronaut.png)")
    p.add_argument("--out", default="demo_out", metavar="DIR",
                   help="output folder; report.html is written there (whole: built beside it, then renamed)")
    p.add_argument("--detector", default="hog", choices=DETECTORS)
    p.add_argument("--limit", type=int, default=24, help="at most this many images from folders")
    p.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    p.set_defaults(func=run)


def default_inputs() -> list:
    for path in DEFAULT_IMAGES:
        if Path(path).exists():
            return [path]
    from .._core import MissingFileError
    raise MissingFileError("the demo's default image astronaut.png is missing; install python3-skimage "
                           "(bash scripts/install_deps.sh) or pass images: facenorm demo IMG...")


def _palsy_figure(report, index, image, landmarks):
    """The clinical asymmetry measures and the palsy assessment on the photo and on a synthetic
    left palsy of it (the assessment left out when its model is missing)."""
    from .._core import ModelError, MissingFileError
    from ..lipsynth import palsy_transform
    from ..palsy import asymmetry_measures, draw_asymmetry, scale_from_iris
    from ..palsy.assessment import PalsyAssessor

    try:
        assessor = PalsyAssessor()
    except (ModelError, MissingFileError):
        assessor = None
    k, _ = scale_from_iris(image, landmarks)
    source = "iris" if k else "none"
    droop = palsy_transform(image, landmarks, "left", 1.0)
    figures = []
    for name, img, lm in (("photo", image, landmarks), ("synthetic left palsy", droop.image, droop.landmarks_after)):
        m = asymmetry_measures(lm, k, source)
        a = assessor.assess(lm) if assessor else None
        verdict = f"; p(palsy) {a.p_palsy:.2f}" + (f", {a.side} side" if a.side != "none" else "") if a else ""
        figures.append(report.image(f"{index:03d}_palsy_{len(figures)}.png", draw_asymmetry(img, lm, m, a),
                                    f"{name}: asymmetry index {m.asymmetry_index:.1f}%{verdict}", 420))
    return ("<p>Facial-palsy asymmetry measures about the facial midline and the palsy assessment "
            "(p_palsy, side, type; docs/palsy.md), on the photo and on a synthetic palsy-like droop of its "
            "left side.</p><div class='row'>" + "".join(figures) + "</div>"
            + _palsy_landmarks_figure(report, index, droop, k, source)
            + parsing_figures(report, index, image, landmarks, droop))


def _palsy_landmarks_figure(report, index, droop, k, source):
    """On the synthetic droop, whose true points are known: dlib's points and those of the
    shipped palsy-aware landmarkers (the refiner, the cascaded FCN), with the asymmetry index
    each gives; "" when neither model is installed."""
    import numpy as np

    from ..detection import FaceDetector
    from ..landmarks.registry import get_landmarker, installed_landmarkers
    from ..palsy import asymmetry_measures, draw_landmark_sets

    shipped = {name: spec for name, spec in (("refined", "refined"), ("cascaded FCN", "fcn"))
               if spec in installed_landmarkers()}
    if not shipped:
        return ""
    box = FaceDetector().detect(droop.image, "largest")[0]
    sets = {"truth": droop.landmarks_after}
    sets.update({name: get_landmarker(spec).predict(droop.image, box)
                 for name, spec in {"dlib": "dlib", **shipped}.items()})
    index_of = {name: asymmetry_measures(pts, k, source).asymmetry_index for name, pts in sets.items()}
    error = {name: float(np.linalg.norm(pts - droop.landmarks_after, axis=1).mean()) for name, pts in sets.items()}
    caption = "; ".join(f"{name}: asymmetry index {index_of[name]:.1f}%" + ("" if name == "truth" else
                        f", mean point error {error[name]:.1f} px") for name in sets)
    figure = report.image(f"{index:03d}_palsy_landmarks.png", draw_landmark_sets(droop.image, sets), caption, 420)
    return ("<p>Landmarks on the synthetic droop, whose true points are known: dlib's shape prior pulls the face "
            "back towards symmetry; the refined landmarker (dlib's points corrected by a cascade trained on "
            "drooped faces, then by a stage trained on real palsy photos where the face looks palsied, "
            "docs/palsy.md) follows the droop further.</p><div class='row'>" + figure + "</div>")


def _scoring_figures(report, index, aligned):
    """LT-v2 copies of the aligned face at two severities, each scored against the untouched face
    (an ideal normalizer): heatmap figure, S and normality per severity."""
    import numpy as np

    from ..lipsynth import lip_transform_v2
    from ..lipsynth import default_lip_templates
    from ..report import score_figure
    from ..score import score_pair

    templates = default_lip_templates()
    name = sorted(templates)[0]
    rows, entry = [], []
    h, w = aligned.image.shape[:2]
    side = min(512, h, w)  # a square around the face keeps the figure readable
    x0, y0 = (np.clip(aligned.landmarks.mean(0) - side / 2, 0, [w - side, h - side])).astype(int)
    face = np.ascontiguousarray(aligned.image[y0:y0 + side, x0:x0 + side])
    landmarks = np.ascontiguousarray(aligned.landmarks - np.float32([x0, y0]))
    for severity in (0.5, 1.0):
        copy = lip_transform_v2(face, landmarks, templates[name], severity)
        r = score_pair(copy.image, face, copy.landmarks_after)
        caption = f"LT-v2 {severity:.1f}: S = {r.score:.2f}, normality {r.normality}"
        rows.append(report.image(f"{index:03d}_score_{severity:.1f}.jpg",
                                 score_figure(copy.image, face, r.heatmap, r.mask, caption, "PSE YCbCr e3"),
                                 caption, 640))
        entry.append({"severity": severity, "score": round(r.score, 4), "normality": r.normality})
    text = ("<p>Anomaly score (PLOS ONE 2023, eq. 6; larger S = more normal) of a synthetic cleft-like lip "
            f"(LT-v2, template {name}) against the untouched face, mouth + nose region: "
            "original | normalized | PSE heatmap.</p>")
    normalized_html, normalized_entry = _normalizer_figures(report, index, face, landmarks,
                                                            lip_transform_v2(face, landmarks, templates[name], 1.0))
    return (text + "<div class='row'>" + "".join(rows) + "</div>" + normalized_html,
            {"ideal": entry, "statistical": normalized_entry})


def _normalizer_figures(report, index, face, landmarks, copy):
    """The face as photographed and its LT-v2 copy, each normalized by the built-in statistical
    normalizer (no ideal reference this time) and scored against its normalized version."""
    from ..normalize import get_normalizer
    from ..report import score_figure
    from ..score import score_pair

    normalizer = get_normalizer("statistical")
    rows, entry = [], []
    for label, image, points in (("the face", face, landmarks), ("LT-v2 1.0", copy.image, copy.landmarks_after)):
        normalized = normalizer.normalize(image, points).image
        r = score_pair(image, normalized, points, normalizer=repr(normalizer))
        caption = f"{label}, normalized by statistical: S = {r.score:.2f}"
        slug = "face" if label == "the face" else "copy"
        rows.append(report.image(f"{index:03d}_normalized_{slug}.jpg",
                                 score_figure(image, normalized, r.heatmap, r.mask, caption, "PSE YCbCr e3"),
                                 caption, 640))
        entry.append({"input": label, "normalizer": repr(normalizer), "score": round(r.score, 4)})
    text = ("<p>The same with a real normalizer: the built-in normal-face model (docs/normalization.md) "
            "normalizes the face and its cleft-like copy; the heat shows what it took away.</p>")
    return text + "<div class='row'>" + "".join(rows) + "</div>", entry


def run(args) -> int:
    """The report is built in a temporary sibling of --out and renamed onto it when complete."""
    import os

    from ..files import atomic_folder

    with atomic_folder(args.out) as folder:
        summary = _build_report(args, folder)
    target = os.path.join(args.out, "report.html")
    print(f"facenorm demo: wrote {target}", file=sys.stderr)
    if args.json:
        emit_json({"report": str(target), "images": summary})
    return 0


def _build_report(args, out_dir) -> list:
    import numpy as np
    from tqdm import tqdm

    from .._core import align_face, crop_region, region_mask

    from ..pipeline import FacePipeline
    from ..report import HtmlReport, draw_landmarks, draw_pose, overlay_mask
    from ..data.inputs import collect_image_paths

    paths = default_inputs() + collect_image_paths(args.inputs)[: args.limit]
    pipeline = FacePipeline(detector=args.detector)
    report = HtmlReport(out_dir, "facenorm demo: detection, landmarks, pose, alignment, crops")
    report.paragraph(f"{len(paths)} image(s); detector {args.detector}; dlib 68-point landmarks; "
                     "pose filter |yaw|, |pitch| < 15 degrees (ICMI 2024); alignment: eyes level, "
                     "100 px apart, 1024x1024 (PLOS ONE 2023).")
    summary = []
    for index, path in enumerate(tqdm(paths, desc="demo", unit="img", file=sys.stderr)):
        t0 = time.perf_counter()
        result = pipeline.analyze(path, keep_image=True)
        t_face = time.perf_counter() - t0
        entry = {"path": path, "error": result.error, "faces": len(result.faces)}
        if result.error:
            report.section(Path(path).name, f"<p class='err'>{result.error_type}: {result.error}</p>")
            summary.append(entry)
            continue
        face = result.faces[0]
        t1 = time.perf_counter()
        aligned = align_face(result.image, face.landmarks)
        t_align = time.perf_counter() - t1
        figures = [report.image(f"{index:03d}_landmarks.png",
                                draw_pose(draw_landmarks(result.image, face.landmarks, face.box.to_list()),
                                          face.landmarks, face.pose),
                                "face, 68 landmarks, pose arrow", 320),
                   report.image(f"{index:03d}_aligned.jpg", aligned.image, "aligned 1024x1024", 320)]
        for region in REGIONS:
            crop = crop_region(aligned.image, aligned.landmarks, region, 224)
            figures.append(report.image(f"{index:03d}_crop_{region}.png", crop.image, f"{region} crop 224x224", 160))
        mask = region_mask(aligned.landmarks, aligned.image.shape[:2], "face_no_eyes", soft_sigma=3.0)
        overlay = np.ascontiguousarray(overlay_mask(aligned.image, mask)[256:896, 192:832])
        figures.append(report.image(f"{index:03d}_face_no_eyes.jpg", overlay, "face without eyes (score region)", 240))
        p = face.pose
        verdict = "frontal: kept" if face.frontal else "outside the +/-15 degree filter: would be skipped"
        table = report.table([
            ["image", f"{result.width}x{result.height}"],
            ["faces found", len(result.faces)],
            ["yaw / pitch / roll (deg)", f"{p.yaw:+.1f} / {p.pitch:+.1f} / {p.roll:+.1f}"],
            ["pose filter", verdict],
            ["detect+landmarks+pose", f"{t_face * 1000:.0f} ms"],
            ["align", f"{t_align * 1000:.0f} ms"],
        ])
        scoring, score_entry = _scoring_figures(report, index, aligned)
        scoring += _palsy_figure(report, index, result.image, face.landmarks)
        lip_html, lip_entry = lip_classifier_section(report, index, result.image, face.landmarks)
        scoring += lip_html
        appraisal_html, appraisal_entry = appraisal_section(report, index, result.image, face.landmarks)
        scoring = appraisal_html + scoring
        report.section(Path(path).name, table + "<div class='row'>" + "".join(figures) + "</div>" + scoring)
        entry.update({"pose": p.to_dict(), "frontal": face.frontal, "ms": round((t_face + t_align) * 1000, 1),
                      "scores": score_entry, "lip_classifier": lip_entry, "appraisal": appraisal_entry})
        summary.append(entry)
    report.write()
    return summary
