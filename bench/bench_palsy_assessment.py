"""The palsy default landmarker per face on one core — target <= 20 ms — and the palsy
assessment on its points — target <= 5 ms — beside dlib's shape predictor on the same faces and
boxes.

The default (`--model refined`, models/landmark_refiner) is dlib's predictor, the synthetic-droop
cascade (models/landmark_refiner_synthetic), the stage trained on real palsy photos, and the
gate (a p_palsy on the fully refined points). The assessment (models/palsy_assessment) is the
midline, the measures, eight features and two logistic regressions.

Workload: the first 5 CelebAMask-HQ test faces (scikit-image's astronaut without ../shared/data),
each with its HOG box. Run on one core:

    PYTHONPATH=python taskset -c 0 /usr/bin/python3 bench/bench_palsy_assessment.py
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))

import timing  # noqa: E402

import facenorm as fn  # noqa: E402
from facenorm.landmarks import LandmarkPredictor, get_landmarker  # noqa: E402
from facenorm.palsy.assessment import PalsyAssessor  # noqa: E402

ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
REPEATS = 20


def main() -> None:
    paths = sorted(str(p) for p in (ROOT.parent / "shared/data/celebamask/test/images").glob("*.jpg"))[:5] or [ASTRONAUT]
    detector = fn.FaceDetector()
    work = [(im, detector.detect(im, "largest")[0]) for im in map(fn.read_image, paths)]
    dlib, refined, assessor = LandmarkPredictor(), get_landmarker("refined"), PalsyAssessor()
    print(f"{len(work)} faces ({'CelebAMask-HQ test' if len(paths) > 1 else 'astronaut.png'}), median of {REPEATS} passes")
    print(f"dlib shape predictor: {timing.median_ms(dlib.predict, work, REPEATS):.2f} ms")
    print(f"palsy default landmarker (refined: dlib + 2 cascades + gate): "
          f"{timing.median_ms(refined.predict, work, REPEATS):.2f} ms")
    points = [(refined.predict_detail(im, box).full,) for im, box in work]
    print(f"palsy assessment (p_palsy, side, type): {timing.median_ms(assessor.assess, points, REPEATS):.2f} ms")


if __name__ == "__main__":
    main()
