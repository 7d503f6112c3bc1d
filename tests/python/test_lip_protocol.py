"""The paper's protocol runner on a small real pairs file: every arm x run trained and evaluated,
tables/figures written, finished runs reused on a rerun, bad arms refused."""
import csv
import os

import pytest

from facenorm import InputError
from facenorm.lipdetect.network import NetworkSettings
from facenorm.lipdetect.protocol import Arm, Comparison, paper_protocol, run_protocol
from facenorm.lipdetect.training import LipTrainSettings


def tiny(siamese):
    return LipTrainSettings(network=NetworkSettings(backbone="simple_cnn", input_side=48, siamese=siamese),
                            lr=1e-3, batch_size=8, max_epochs=2)


def test_protocol_writes_tables_figures_and_resumes(lip_pairs_small, tmp_path):
    arms = [Arm("siamese", lip_pairs_small, tiny(True)), Arm("baseline", lip_pairs_small, tiny(False))]
    comparisons = [Comparison("siamese", "baseline", "table1", "Siamese vs baseline")]
    doc = run_protocol(arms, comparisons, tmp_path, runs=2, progress=False)
    rows = list(csv.DictReader(open(tmp_path / "runs.csv")))
    subsets = {r["subset"] for r in rows}
    assert {"train", "dev", "test", "test_controls", "test_real_shapes"} <= subsets
    assert len(rows) == 2 * 2 * len(subsets) and {r["seed"] for r in rows} == {"0", "1"}
    md = (tmp_path / "table1.md").read_text()
    assert "Test real cleft shapes" in md and "±" in md
    assert os.path.getsize(tmp_path / "table1.png") > 1000
    tests = doc["comparisons"]["table1"]["tests"]
    assert all(0 <= t["p"] <= 1 for t in tests.values())
    # A rerun reuses every finished run (no training: the evaluation files are not rewritten).
    stamp = os.path.getmtime(tmp_path / "siamese" / "run1" / "evaluation.json")
    run_protocol(arms, comparisons, tmp_path, runs=2, progress=False)
    assert os.path.getmtime(tmp_path / "siamese" / "run1" / "evaluation.json") == stamp


def test_paper_protocol_arms_and_bad_comparisons(lip_pairs_small, tmp_path):
    arms, comparisons = paper_protocol({"lt-v2": lip_pairs_small, "lt-v1": lip_pairs_small})
    names = [a.name for a in arms]
    assert names[:2] == ["siamese", "baseline"] and "siamese_lt_v1" in names and "siamese_simple_cnn" in names
    assert "siamese_no_restoration" not in names  # needs both learned pairs files
    assert not next(a for a in arms if a.name == "baseline").settings.network.siamese
    with pytest.raises(InputError, match="lt-v2"):
        paper_protocol({"lt-v1": lip_pairs_small})
    with pytest.raises(InputError, match="must both be in"):
        run_protocol(arms[:1], [Comparison("siamese", "nope", "x", "x")], tmp_path, runs=1, progress=False)
    with pytest.raises(InputError, match="runs"):
        run_protocol(arms[:1], [], tmp_path, runs=0, progress=False)
