"""The learned normalizer (autoencoder + restoration) per face on 2 cores — target <= 100 ms —
beside the stage-1-only ablation and the same networks on one thread.

Workload: scikit-image's astronaut and the first CelebAMask-HQ test faces (when ../shared/data is
there); the whole `normalize` call (FFHQ alignment at 256 px, both networks, paste-back) and the
networks alone.

    PYTHONPATH=python /usr/bin/python3 bench/bench_learned_normalizer.py [MODEL_DIR]
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))

import timing  # noqa: E402

import facenorm as fn  # noqa: E402
from facenorm.normalize import get_normalizer  # noqa: E402

ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
REPEATS = 5


def faces() -> list:
    paths = [ASTRONAUT] + sorted(str(p) for p in (ROOT.parent / "shared/data/celebamask/test/images").glob("*.jpg"))[:4]
    pipeline = fn.FacePipeline()
    out = []
    for p in paths:
        image = fn.read_image(p)
        out.append((image, pipeline.faces(image)[0].landmarks))
    return out


def median_ms(call, work) -> float:
    return timing.median_ms(call, work, REPEATS)


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "models" / "learned_normalizer")
    work = faces()
    normalizers = {t: (get_normalizer(f"learned:model={model},threads={t}"),
                       get_normalizer(f"learned:model={model},restoration=off,threads={t}")) for t in (2, 1)}
    full = normalizers[2][0]
    aligned = [(fn.align_face(im, lm, size=full.size, eye_distance=full.eye_distance, eyes_x=0.5, eyes_y=0.469).image,)
               for im, lm in work]
    print(f"model {model}; {len(work)} faces; median of {REPEATS} x {len(work)} calls")
    for threads, (full, stage1) in normalizers.items():
        print(f"{threads} thread(s): normalize (both stages) {median_ms(full.normalize, work):.1f} ms | "
              f"networks alone {median_ms(full.run_chain, aligned):.1f} ms | "
              f"reference, stage 1 only: normalize {median_ms(stage1.normalize, work):.1f} ms, "
              f"network {median_ms(stage1.run_chain, aligned):.1f} ms")


if __name__ == "__main__":
    main()
