"""The face-parsing network with the palsy class per 256 x 256 face on 2 cores — target <= 100 ms —
and on one, at the default width (channels 16), beside the half-width network.

Workload: a 256 x 256 face (the first CelebAMask-HQ test image, or scikit-image's astronaut),
the network alone (ESC blocks, ASPP, foreground attention, depth head). Weights do not change
the time; a trained folder may be given to time `FaceParser.parse` (resize in and out included).

    PYTHONPATH=python /usr/bin/python3 bench/bench_palsy_parsing.py [MODEL_DIR]
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))

import timing  # noqa: E402

import cv2  # noqa: E402
import torch  # noqa: E402

import facenorm as fn  # noqa: E402
from facenorm.nets import _nets, torch_threads  # noqa: E402

ASTRONAUT = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
REPEATS = 10


def main() -> None:
    paths = sorted(str(p) for p in (ROOT.parent / "shared/data/celebamask/test/images").glob("*.jpg"))[:1] or [ASTRONAUT]
    image = cv2.resize(fn.read_image(paths[0]), (256, 256), interpolation=cv2.INTER_AREA)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float().div(255)
    print(f"{paths[0]}; median of {REPEATS} calls")
    for channels in (16, 8):
        net = _nets.PalsyParsingNet(7, channels)
        net.eval()
        for threads in (2, 1):
            with torch_threads(threads), torch.no_grad():
                ms = timing.median_ms(lambda t: net(t), [(x,)], REPEATS)
            print(f"channels {channels}, {threads} thread(s): network {ms:.1f} ms per 256 x 256 face")
    if len(sys.argv) > 1:
        from facenorm.parsing.model import FaceParser
        parser = FaceParser(sys.argv[1], threads=2)
        print(f"FaceParser.parse ({parser.side} px model, 2 threads): "
              f"{timing.median_ms(parser.parse, [(image,)], REPEATS):.1f} ms")


if __name__ == "__main__":
    main()
