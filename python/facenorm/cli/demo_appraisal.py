"""The demo report's appraisal section: the default `facenorm score IMG` on the photo and on a
synthetic cleft of it, with the map, the inpainting mask, the normalized face and the heatmap."""

__all__ = ["appraisal_section"]


def appraisal_section(report, index, image, landmarks):
    """(html, summary entry); a short note instead when the anomaly model is missing."""
    from .._core import MissingFileError, ModelError
    from ..appraisal.appraise import Appraiser

    try:  # the anomaly model, or dlib's ResNet-34 it reads (facenorm fetch-models), may be missing
        appraiser = Appraiser()
        return _section(report, index, image, landmarks, appraiser)
    except (MissingFileError, ModelError) as e:
        return f"<p>Default appraisal not available: {e}</p>", {"error": str(e)}


def _section(report, index, image, landmarks, appraiser):
    from ..lipsynth.cleft import synthesize_cleft
    from ..appraisal.figure import appraisal_figure

    cleft = synthesize_cleft(image, landmarks, kind="unilateral_complete", side="left", severity=0.8, seed=0)
    figures, entry = [], []
    for slug, label, img in (("photo", "photo", image), ("cleft", "synthetic unilateral complete cleft, severity 0.8",
                                                          cleft.image)):
        a = appraiser.appraise(img, landmarks)
        final = appraiser.final_heatmap(a)
        caption = f"{label}: score {a.score:.2f}, normality {a.normality:.0f}/100" if a.normality is not None \
            else f"{label}: score {a.score:.2f}"
        figures.append(report.image(f"{index:03d}_appraisal_{slug}.png", appraisal_figure(a, final, caption), caption, 900))
        entry.append({"input": label, **{k: v for k, v in a.to_json().items() if k in ("score", "normality", "peak")}})
    text = ("<p>The default appraisal (<code>facenorm score IMG</code>, docs/appraisal.md): the face against normal "
            "faces of every age (anomaly map), what the map flags inpainted in two passes, and normality as the "
            "face's percentile among held-out normal faces (50 = a median normal face).</p>")
    return text + "<div class='row'>" + "".join(figures) + "</div>", entry
