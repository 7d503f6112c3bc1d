"""The demo report's face-parsing figures: the shipped parser (models/palsy_parsing) on the photo
and on its synthetic palsy, with the palsy region (FPP, yellow) and its share per side."""

__all__ = ["parsing_figures"]


def parsing_figures(report, index, image, landmarks, droop) -> str:
    """HTML for the photo and the palsy-like copy `droop` (its landmarks_after); "" without a model."""
    from ..models import find_model_dir
    from ..parsing.model import FaceParser
    from ..parsing.photo import parse_photo

    if find_model_dir("palsy_parsing") is None:
        return ""
    parser = FaceParser()
    figures = []
    for slug, label, img, points in (("photo", "photo", image, landmarks),
                                     ("droop", "synthetic left palsy", droop.image, droop.landmarks_after)):
        parsed = parse_photo(parser, img, points)
        s = parsed.summary()
        caption = (f"{label}: FPP {100 * s['fpp_fraction']:.1f}% of the face (right {100 * s['fpp_right']:.1f}%, "
                   f"left {100 * s['fpp_left']:.1f}%)")
        figures.append(report.image(f"{index:03d}_parsing_{slug}.jpg", parsed.overlay(), caption, 320))
    return ("<p>Face parsing with a palsy region (stroke/Bell's palsy paper; models/palsy_parsing.md): skin, "
            "hair, brows, eyes, mouth and the facial-paralysis-possibility region (yellow).</p>"
            "<div class='row'>" + "".join(figures) + "</div>")
