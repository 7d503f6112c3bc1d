"""The demo report's lip-abnormality section: the shipped Siamese classifier (models/lip_classifier)
on the photo and on an LT-v2 copy of it, with the lip crop pairs and their CAMs."""

__all__ = ["lip_classifier_section"]


def lip_classifier_section(report, index, image, landmarks):
    """(html, summary entry); a short note instead when no classifier is installed."""
    from .._core import MissingFileError, ModelError
    from ..lipsynth import lip_transform_v2
    from ..lipdetect.classify import PhotoClassifier
    from ..lipdetect.figures import cam_overlay
    from ..lipsynth import default_lip_templates
    from ..models import find_model_dir

    model_dir = find_model_dir("lip_classifier")
    if model_dir is None:
        return "<p>No lip classifier installed (models/lip_classifier; `facenorm train`).</p>", None
    try:
        classifier = PhotoClassifier(model_dir)
    except (MissingFileError, ModelError) as e:  # e.g. dlib's face ResNet not fetched yet
        return f"<p>Lip classifier not available: {e}</p>", {"error": str(e)}
    templates = default_lip_templates()
    name = sorted(templates)[0]
    copy = lip_transform_v2(image, landmarks, templates[name], 1.0)
    figures, entry = [], []
    for label, img, points in (("photo", image, landmarks), (f"LT-v2 copy ({name})", copy.image, copy.landmarks_after)):
        original, normalized = classifier.crops(img, points)
        p, maps = classifier.model.class_activation_maps(original[None], normalized[None])
        verdict = "abnormal" if p[0] >= classifier.model.threshold else "normal"
        slug = "photo" if label == "photo" else "copy"
        figures += [report.image(f"{index:03d}_lip_{slug}_crop.png", original, f"{label}: lip crop", 160),
                    report.image(f"{index:03d}_lip_{slug}_normalized.png", normalized, "normalized", 160),
                    report.image(f"{index:03d}_lip_{slug}_cam.png", cam_overlay(original, maps[0]),
                                 f"CAM: p(abnormal) {p[0]:.2f} ({verdict})", 160)]
        entry.append({"input": label, "p_abnormal": round(float(p[0]), 4), "label": verdict})
    text = (f"<p>Lip-abnormality detection (ICMI 2024 Siamese CNN, docs/lip_detection.md): the lip crop, the "
            f"same crop of the face normalized by <code>{classifier.normalizer_spec}</code>, and the class "
            "activation map (red: what pushed the decision towards abnormal).</p>")
    return text + "<div class='row'>" + "".join(figures) + "</div>", entry
