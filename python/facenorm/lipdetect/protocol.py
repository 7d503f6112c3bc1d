"""The ICMI 2024 experiment protocol (§5): every arm trained `runs` times with different seeds
and evaluated on every subset; mean ± std per subset (Table 1 layout), the one-tailed two-sample
proportion test (p < 0.01) per comparison, tables as CSV and Markdown, figures as PNG.

Arms and comparisons of the paper (paper_protocol): Siamese vs baseline (Table 1), LT-v2 vs LT-v1
(Fig. 5), with vs without children (Table 2, only when the data has children), with vs without
the restoration stage (Fig. 7), and the simple three-block CNN backbone. Each run lives in
<out>/<arm>/run<k>/ and is skipped when its evaluation.json exists, so a killed protocol resumes.
"""
import csv
import io
import json
import os
import sys
import time
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence

from .._core import InputError
from ..files import atomic_write_text
from .evaluation import evaluate_lip_model
from .training import LipTrainSettings, train_lip_classifier

__all__ = ["ROW_FIELDS", "Arm", "Comparison", "paper_protocol", "select_arms", "run_protocol"]

ROW_FIELDS = ("model", "run", "seed", "subset", "loss", "accuracy", "n", "correct")


@dataclass
class Arm:
    name: str                   # file-system and table key, e.g. "siamese"
    pairs: str                  # the pairs file it trains and is evaluated on
    settings: LipTrainSettings  # the seed is replaced per run
    runs: Optional[int] = None  # None: the protocol's run count


@dataclass
class Comparison:
    reference: str              # tested as better than `other`
    other: str
    stem: str                   # output file names
    title: str


def paper_protocol(pairs: Dict[str, str], settings: LipTrainSettings = None, simple_cnn_side: int = 64,
                   simple_cnn_runs: Optional[int] = None, with_children: bool = False):
    """(arms, comparisons) of the paper's experiments on the pairs files available. pairs keys:
    "lt-v2" (required), "lt-v1", "learned" and "learned_no_restoration" (pairs normalized with
    `learned` and `learned:restoration=off`). settings: the Siamese arm's (backbone etc.)."""
    if "lt-v2" not in pairs:
        raise InputError("protocol: expected an LT-v2 pairs file (key 'lt-v2')")
    base = settings or LipTrainSettings()
    net = base.network

    def with_network(**changes):
        return replace(base, network=replace(net, **changes))

    simple = dict(backbone="simple_cnn", trainable_layers=-1, input_side=simple_cnn_side)
    arms = [Arm("siamese", pairs["lt-v2"], base), Arm("baseline", pairs["lt-v2"], with_network(siamese=False)),
            Arm("siamese_simple_cnn", pairs["lt-v2"], with_network(**simple), simple_cnn_runs),
            Arm("baseline_simple_cnn", pairs["lt-v2"], with_network(siamese=False, **simple), simple_cnn_runs)]
    comparisons = [Comparison("siamese", "baseline", "table1_siamese_vs_baseline", "Siamese LT-v2 vs baseline"),
                   Comparison("siamese", "siamese_simple_cnn", "ablation_backbone_siamese",
                              "Siamese: backbone vs simple three-block CNN"),
                   Comparison("baseline", "baseline_simple_cnn", "ablation_backbone_baseline",
                              "Baseline: backbone vs simple three-block CNN")]
    if "lt-v1" in pairs:
        arms.append(Arm("siamese_lt_v1", pairs["lt-v1"], base))
        comparisons.append(Comparison("siamese", "siamese_lt_v1", "fig5_lt_v2_vs_lt_v1", "Siamese LT-v2 vs LT-v1"))
    if with_children:
        arms.append(Arm("siamese_without_children", pairs["lt-v2"], replace(base, exclude_children=True)))
        comparisons.append(Comparison("siamese", "siamese_without_children", "table2_without_children",
                                      "Siamese LT-v2 vs without children"))
    if "learned" in pairs and "learned_no_restoration" in pairs:
        arms += [Arm("siamese_learned", pairs["learned"], base),
                 Arm("siamese_no_restoration", pairs["learned_no_restoration"], base)]
        comparisons.append(Comparison("siamese_learned", "siamese_no_restoration", "fig7_no_restoration",
                                      "Siamese LT-v2 (learned normalizer) vs no restoration"))
    return arms, comparisons


def select_arms(arms: Sequence[Arm], comparisons: Sequence[Comparison], names: Sequence[str]):
    """Only the arms named (in their protocol order) and the comparisons between two of them."""
    unknown = [n for n in names if n not in [a.name for a in arms]]
    if unknown:
        raise InputError(f"arms: {unknown} are not in this protocol's {[a.name for a in arms]}")
    kept = [a for a in arms if a.name in names]
    return kept, [c for c in comparisons if c.reference in names and c.other in names]


def _run_once(arm: Arm, run: int, seed: int, out_dir: str) -> dict:
    folder = os.path.join(out_dir, arm.name, f"run{run}")
    done = os.path.join(folder, "evaluation.json")
    if os.path.isfile(done):
        with open(done) as f:
            return json.load(f)
    training = train_lip_classifier(arm.pairs, folder, replace(arm.settings, seed=seed), progress=False)
    evaluation = evaluate_lip_model(folder, arm.pairs, progress=False)
    result = {"arm": arm.name, "run": run, "seed": seed, "training": training, "subsets": evaluation["subsets"]}
    atomic_write_text(done, json.dumps(result, indent=1))
    return result


def _rows_csv(rows: Sequence[dict]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=ROW_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def run_protocol(arms: Sequence[Arm], comparisons: Sequence[Comparison], out_dir, runs: int = 7,
                 first_seed: int = 0, alpha: float = 0.01, progress: bool = True) -> dict:
    """Trains and evaluates every arm `runs` times (seeds first_seed, first_seed + 1, ...), then
    writes runs.csv, <comparison>.csv/.md/.png and protocol.json into out_dir."""
    from tqdm import tqdm

    from .figures import accuracy_bar_figure
    from .statistics import compare_models, summarize_runs
    from .tables import write_tables

    if runs < 1:
        raise InputError(f"runs: expected 1 or more, got {runs}")
    names = [a.name for a in arms]
    for c in comparisons:
        if c.reference not in names or c.other not in names:
            raise InputError(f"comparison {c.stem}: arms {c.reference!r} and {c.other!r} must both be in {names}")
    out_dir = os.path.abspath(os.fspath(out_dir))
    os.makedirs(out_dir, exist_ok=True)
    started = time.perf_counter()
    rows: List[dict] = []
    seconds = {}
    total = sum(a.runs or runs for a in arms)
    with tqdm(total=total, unit="run", desc="protocol", file=sys.stderr, disable=not progress) as bar:
        for arm in arms:
            t0 = time.perf_counter()
            for run in range(arm.runs or runs):
                bar.set_postfix(arm=arm.name, run=run)
                result = _run_once(arm, run, first_seed + run, out_dir)
                for subset, r in result["subsets"].items():
                    rows.append({"model": arm.name, "run": run, "seed": first_seed + run, "subset": subset,
                                 "loss": r["loss"], "accuracy": r["accuracy"], "n": r["n"], "correct": r["correct"]})
                bar.update(1)
            seconds[arm.name] = round(time.perf_counter() - t0, 1)
    atomic_write_text(os.path.join(out_dir, "runs.csv"), _rows_csv(rows))
    stat_rows = [{k: r[k] for k in ("model", "run", "subset", "loss", "accuracy", "n", "correct")} for r in rows]
    summary = summarize_runs(stat_rows)
    outputs = {}
    for c in comparisons:
        tested = compare_models(stat_rows, c.reference, c.other, alpha)
        subsets = [s["subset"] for s in summary if s["model"] == c.reference]
        csv_path, md_path = write_tables(out_dir, c.stem, summary, tested, models=[c.reference, c.other],
                                         subsets=subsets, alpha=alpha)
        png = accuracy_bar_figure(summary, tested, [c.reference, c.other], subsets,
                                  os.path.join(out_dir, c.stem + ".png"), title=c.title)
        outputs[c.stem] = {"title": c.title, "csv": csv_path, "markdown": md_path, "figure": png, "tests": tested}
    document = {"runs": runs, "first_seed": first_seed, "alpha": alpha,
                "arms": {a.name: {"pairs": a.pairs, "runs": a.runs or runs, "seconds": seconds.get(a.name)}
                         for a in arms},
                "summary": summary, "comparisons": outputs, "seconds": round(time.perf_counter() - started, 1)}
    atomic_write_text(os.path.join(out_dir, "protocol.json"), json.dumps(document, indent=1, default=str))
    return document
