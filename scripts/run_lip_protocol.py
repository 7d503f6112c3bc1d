"""The ICMI 2024 protocol (§5) on pairs files from `facenorm lip-dataset`: every arm trained
--runs times (7 in the paper) and evaluated on every subset; Table 1/2 layouts as CSV and
Markdown, Fig. 5/7-style PNGs, runs.csv and protocol.json in --out. Resumable: finished runs
are kept. Example (docs/lip_detection.md):

    PYTHONPATH=python /usr/bin/python3 scripts/run_lip_protocol.py --out results/lip_protocol \\
        --lt-v2 DATA/pairs.lt-v2.statistical.h5 --lt-v1 DATA/pairs.lt-v1.statistical.h5 \\
        --learned DATA/pairs.lt-v2.learned.h5 --no-restoration DATA/pairs.lt-v2.learned_restoration=off.h5
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from facenorm.lipdetect.network import BACKBONES, NetworkSettings  # noqa: E402
from facenorm.lipdetect.protocol import paper_protocol, run_protocol, select_arms  # noqa: E402
from facenorm.lipdetect.training import LipTrainSettings  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--lt-v2", required=True, metavar="PAIRS.h5")
    p.add_argument("--lt-v1", metavar="PAIRS.h5")
    p.add_argument("--learned", metavar="PAIRS.h5", help="pairs normalized with `learned`")
    p.add_argument("--no-restoration", metavar="PAIRS.h5", help="pairs normalized with `learned:restoration=off`")
    p.add_argument("--backbone", default="resnet34", choices=BACKBONES)
    p.add_argument("--trainable-layers", type=int)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--simple-cnn-side", type=int, default=64, help="crop side for the simple-CNN arms")
    p.add_argument("--simple-cnn-runs", type=int, help="runs of the simple-CNN arms (default: --runs)")
    p.add_argument("--with-children", action="store_true", help="add the without-children arm (needs age groups)")
    p.add_argument("--max-epochs", type=int, default=50)
    p.add_argument("--threads", type=int, default=2, help="torch threads per run (default 2)")
    p.add_argument("--arms", help="comma-separated arms to run (default: all), e.g. siamese,baseline")
    args = p.parse_args(argv)
    pairs = {k: v for k, v in (("lt-v2", args.lt_v2), ("lt-v1", args.lt_v1), ("learned", args.learned),
                               ("learned_no_restoration", args.no_restoration)) if v}
    settings = LipTrainSettings(network=NetworkSettings(backbone=args.backbone, trainable_layers=args.trainable_layers),
                                max_epochs=args.max_epochs, threads=args.threads)
    arms, comparisons = paper_protocol(pairs, settings, args.simple_cnn_side, args.simple_cnn_runs,
                                       args.with_children)
    if args.arms:
        arms, comparisons = select_arms(arms, comparisons, args.arms.split(","))
    document = run_protocol(arms, comparisons, args.out, runs=args.runs)
    for stem, c in document["comparisons"].items():
        print(f"## {c['title']}\n")
        print(Path(c["markdown"]).read_text())
    print(json.dumps({"out": str(Path(args.out).resolve()), "seconds": document["seconds"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
