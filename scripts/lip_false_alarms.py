"""False alarms of lip classifiers on held-out normal faces of every age, through `facenorm
classify`'s path, and the decision threshold that keeps each age group's faces normal.

UTKFace's held-out files (appraisal.normal_faces: sha1 rule) are split in its two documented
halves: the threshold is chosen on the 'calibration' half (the lowest that calls --rate of every
age group normal) and the false alarms are reported on the 'evaluation' half, which never
chose it. Example (docs/results.md):

    PYTHONPATH=python /usr/bin/python3 scripts/lip_false_alarms.py --utkface ../shared/data/utkface/images \\
        --models models/lip_classifier NEW_MODEL --rate 0.93 --out /tmp/false_alarms
"""
import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from facenorm.appraisal.normal_faces import AGE_GROUPS, age_group, held_out_half, is_held_out, utkface_age  # noqa: E402
from facenorm.files import atomic_json  # noqa: E402
from facenorm.lipdetect.false_alarms import (classify_photos, normal_rate_by_group,  # noqa: E402
                                              threshold_for_normal_rate)

ALL_KEPT = ("0-2", "3-5")   # the infants and toddlers: every held-out face of these ages is used


def held_out_photos(folder: str, per_group: int, seed: int) -> dict:
    """{half: [(path, age group)]}: every held-out face aged 0-5, at most per_group of each other group."""
    found = {"calibration": {g: [] for g in AGE_GROUPS}, "evaluation": {g: [] for g in AGE_GROUPS}}
    for name in sorted(os.listdir(folder)):
        age = utkface_age(name)
        if age is None or not is_held_out(name):
            continue
        found[held_out_half(name)][age_group(age)].append(os.path.join(folder, name))
    rng = np.random.default_rng(seed)
    out = {}
    for half, groups in found.items():
        rows = []
        for g in AGE_GROUPS:
            files = groups[g]
            if g not in ALL_KEPT and len(files) > per_group:
                files = sorted(rng.choice(files, per_group, replace=False).tolist())
            rows += [(f, g) for f in files]
        out[half] = rows
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--utkface", required=True, metavar="DIR")
    p.add_argument("--models", nargs="+", required=True, metavar="MODEL_DIR")
    p.add_argument("--choose-for", metavar="MODEL_DIR", help="the model whose threshold is chosen (default: the last)")
    p.add_argument("--rate", type=float, default=0.93, help="share of each age group to call normal (default 0.93)")
    p.add_argument("--per-group", type=int, default=120, help="faces per half of each age group 6 and over")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True, metavar="DIR")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    photos = held_out_photos(args.utkface, args.per_group, args.seed)
    rows = {half: classify_photos(files, args.models, args.threads) for half, files in photos.items()}
    atomic_json(os.path.join(args.out, "photos.json"), rows)
    chosen_for = os.fspath(args.choose_for or args.models[-1])
    keys = list(rows["calibration"][0]["p"]) if rows["calibration"] else []
    chosen_key = next(k for k in keys if os.path.samefile(k, chosen_for))
    threshold = threshold_for_normal_rate(rows["calibration"], chosen_key, args.rate)
    report = {"rate": args.rate, "chosen_for": chosen_key, "threshold": threshold, "models": {}}
    for key in keys:
        report["models"][key] = {
            f"{half}@{t_name}": normal_rate_by_group(rows[half], key, t)
            for half in ("calibration", "evaluation")
            for t_name, t in (("0.5", 0.5), ("chosen", threshold)) if key == chosen_key or t_name == "0.5"}
    atomic_json(os.path.join(args.out, "false_alarms.json"), report)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
