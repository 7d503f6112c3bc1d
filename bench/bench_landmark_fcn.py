"""The cascaded FCN landmarker per face on one core — target <= 20 ms — beside dlib's shape
predictor on the same faces and boxes, the paper's full-width network (Table 1), and the refined
landmarker (dlib + the palsy-aware cascade of models/landmark_refiner, when present).

Workload: the first CelebAMask-HQ test faces (scikit-image's astronaut without ../shared/data):
the HOG box, then `predict(image, box)` (crop, both stages, top-25 decoding, back to the image).
Networks of the given model folder (default models/landmark_fcn; random weights of the same
shape if it is missing: the time does not depend on the weights).

    PYTHONPATH=python taskset -c 0 /usr/bin/python3 bench/bench_landmark_fcn.py [MODEL_DIR]
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))

import timing  # noqa: E402

import torch  # noqa: E402

import facenorm as fn  # noqa: E402
from facenorm.landmarks.dlib import LandmarkPredictor  # noqa: E402
from facenorm.landmarks.fcn.crop import crop_transform, gray_crop  # noqa: E402
from facenorm.nets import _nets  # noqa: E402

ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
REPEATS = 20


def faces():
    paths = sorted(str(p) for p in (ROOT.parent / "shared/data/celebamask/test/images").glob("*.jpg"))[:5] or [ASTRONAUT]
    detector = fn.FaceDetector()
    return [(im, detector.detect(im, "largest")[0]) for im in map(fn.read_image, paths)]


def median_ms(call, work) -> float:
    return timing.median_ms(call, work, REPEATS)


def main() -> None:
    torch.set_num_threads(1)
    work = faces()
    model_dir = sys.argv[1] if len(sys.argv) > 1 else None
    try:
        from facenorm.landmarks.fcn.model import FcnLandmarker
        fcn = FcnLandmarker(model_dir, threads=1)
        predict = fcn.predict
    except fn.FacenormError as e:
        print(f"no trained model ({e}); timing random weights")
        fcn, predict = None, None
    crops = [(torch.from_numpy(gray_crop(im, crop_transform(box))).float().div(255)[None, None],) for im, box in work]
    dlib = LandmarkPredictor()
    print(f"{len(work)} faces, median of {REPEATS} x {len(work)} calls, torch threads {torch.get_num_threads()}")
    for divisor in (8, 1):
        net = _nets.CascadedFcn(68, divisor)
        net.eval()
        with torch.no_grad():
            print(f"cascaded FCN, widths / {divisor}: networks alone {median_ms(lambda x: net(x), crops):.1f} ms")
    if predict:
        print(f"FcnLandmarker.predict (crop + networks + decoding): {median_ms(predict, work):.1f} ms")
    print(f"reference, dlib shape predictor: {median_ms(dlib.predict, work):.2f} ms")
    try:
        from facenorm.landmarks.refine import RefinedLandmarker
        refined = RefinedLandmarker()
    except fn.FacenormError as e:
        print(f"no refiner model ({e})")
        return
    starts = [(im, dlib.predict(im, box)) for im, box in work]
    print(f"refiner cascade alone ({len(refined.cascade.stages)} stage(s)): {median_ms(refined.refine, starts):.2f} ms")
    print(f"RefinedLandmarker.predict (dlib + cascade): {median_ms(refined.predict, work):.2f} ms")


if __name__ == "__main__":
    main()
