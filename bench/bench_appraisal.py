"""The default appraisal of one photo (`facenorm score IMG`) stage by stage — target <= 250 ms
for the whole, on 2 cores, peak memory <= 1.5 GB — beside today's `statistical` + PSE appraisal
in the same run.

Stages: decode (the JPEG/PNG file), detect + landmarks, align to the canonical crop, the map
(ResNet-34 stages 1-3 + Mahalanobis), the two-phase inpainting with the shipped calibration's fill
(each pass that runs re-maps the result), the deep-feature distance and the score. Workload: scikit-image's astronaut (512 px)
and the same face with a pasted gap (so the inpainting passes run). Run:

    PYTHONPATH=python /usr/bin/python3 bench/bench_appraisal.py
"""
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))

import timing  # noqa: E402

import facenorm as fn  # noqa: E402
from facenorm.appraisal.alignment import align  # noqa: E402
from facenorm.appraisal.anomaly_map import face_mask  # noqa: E402
from facenorm.appraisal.appraise import Appraiser  # noqa: E402
from facenorm.appraisal.map_inpaint import two_phase  # noqa: E402

ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
REPEATS = 10


def main() -> None:
    import torch
    torch.set_num_threads(2)
    fn.set_num_threads(2)
    image = fn.read_image(ASTRONAUT)
    pipeline = fn.FacePipeline()
    landmarks = pipeline.faces(image)[0].landmarks
    gapped = fn.synthesize_cleft(image, landmarks, kind="bilateral_complete", severity=1.0, seed=0).image
    gapped_path = "/tmp/bench_appraisal_cleft.png"
    fn.write_image(gapped_path, gapped)
    appraiser = Appraiser()
    model, threshold = appraiser.model, appraiser.normalizer.resolved_threshold()
    fill, inpainter = appraiser.normalizer.fill, appraiser.normalizer.inpainter
    print(f"map-inpaint fill: {fill} (the shipped calibration's)")
    print(f"astronaut.png 512 px, median of {REPEATS} passes, torch threads {torch.get_num_threads()}")
    for name, path, im in (("astronaut", ASTRONAUT, image), ("astronaut + bilateral complete cleft", gapped_path, gapped)):
        aligned = align(im, landmarks)
        face = face_mask(aligned.landmarks)
        passes = two_phase(aligned.image, aligned.landmarks, model, threshold, method=fill, inpainter=inpainter)
        stages = {
            "decode": (fn.read_image, [(path,)]),
            "detect + landmarks": (pipeline.faces, [(im,)]),
            "align": (align, [(im, landmarks)]),
            "map": (model.cells, [(aligned.image, face)]),
            f"inpainting ({len(passes.masks)} passes, map of each result included)":
                (lambda: two_phase(aligned.image, aligned.landmarks, model, threshold, first_cells=passes.cells,
                                   method=fill, inpainter=inpainter), [()]),
            "feature distance + score": (lambda: appraiser.evidence(aligned, passes, "mouth_nose"), [()]),
        }
        print(f"-- {name}")
        for stage, (call, work) in stages.items():
            print(f"   {stage}: {timing.median_ms(call, work, REPEATS):.1f} ms")
        whole = timing.median_ms(lambda p: appraiser.appraise(fn.read_image(p)), [(path,)], REPEATS)
        print(f"   whole default appraisal (decode ... score): {whole:.1f} ms")
    statistical = fn.normalize.get_normalizer("statistical")

    def statistical_appraisal(path):
        im = fn.read_image(path)
        lm = pipeline.faces(im)[0].landmarks
        return fn.score.score_pair(im, statistical.normalize(im, lm).image, lm, normalizer="statistical")
    print(f"-- today's statistical + PSE appraisal (decode, detect, normalize, score): "
          f"{timing.median_ms(statistical_appraisal, [(ASTRONAUT,)], REPEATS):.1f} ms")
    print(f"peak memory (max RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    started = time.time()
    main()
