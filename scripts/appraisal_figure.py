"""docs/img/appraisal_astronaut.jpg: the default appraisal (`facenorm score IMG --heatmap`) of
astronaut.png and of a synthetic unilateral complete cleft on it, one row each.

    PYTHONPATH=python /usr/bin/python3 scripts/appraisal_figure.py [OUT.jpg]
"""
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import facenorm as fn  # noqa: E402
from facenorm.appraisal.appraise import Appraiser  # noqa: E402
from facenorm.appraisal.figure import appraisal_figure  # noqa: E402

ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"


def main(out: str) -> None:
    image = fn.read_image(ASTRONAUT)
    landmarks = fn.FacePipeline().faces(image)[0].landmarks
    cleft = fn.synthesize_cleft(image, landmarks, kind="unilateral_complete", side="left", severity=0.8, seed=0)
    appraiser = Appraiser()
    rows = []
    for label, img in (("astronaut.png", image), ("synthetic unilateral complete cleft, severity 0.8", cleft.image)):
        a = appraiser.appraise(img, landmarks, age=40)
        final = appraiser.final_heatmap(a)
        rows.append(appraisal_figure(a, final, f"{label}: score {a.score:.2f}, normality {a.normality:.0f}/100 "
                                               f"among {a.normality_group}"))
    fn.write_image(out, np.ascontiguousarray(np.vstack(rows)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "docs" / "img" / "appraisal_astronaut.jpg"))
