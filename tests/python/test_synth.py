"""facenorm synth over a small prepared dataset: provenance, ground truth, resume."""
import h5py
import numpy as np
import pytest

import facenorm as fn
from facenorm.data.prepare import prepare_dataset
from facenorm.data.prepare_face import PrepareOptions
from facenorm.lipsynth.synth_job import run_synth


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, celeba_images):
    out = tmp_path_factory.mktemp("synth") / "prepared.h5"
    prepare_dataset(celeba_images[:6], out, PrepareOptions(size=256, eye_distance=60.0, pose_filter=False),
                    threads=1, progress=False)
    with fn.data.Dataset.open(out) as d:
        assert len(d) >= 4
    return out


@pytest.mark.parametrize("method", ["lt-v2", "lt-v1", "palsy"])
def test_synth_records_provenance_and_ground_truth(prepared, tmp_path, method):
    out = tmp_path / f"{method}.h5"
    summary = run_synth(prepared, out, method, severity=1.0, per_record=2, seed=5, progress=False)
    with fn.data.Dataset.open(prepared) as src, fn.data.Dataset.open(out) as syn:
        # folds are avoided by lowering the severity, so every (record, k) is written
        assert summary["written"] == len(syn) == 2 * len(src) and not syn.skipped
        applied = [r["params"]["severity_applied"] for r in syn.records]
        assert all(0.0 < a <= 1.0 for a in applied) and max(applied) == 1.0
        for j, record in enumerate(syn.records):
            parent = record["parent_id"]
            p = record["params"]
            assert p["method"] == method and p["severity"] == 1.0 and isinstance(p["seed"], int)
            assert ("side" in p) if method == "palsy" else ("template" in p)
            np.testing.assert_array_equal(syn.boxes[j], src.boxes[parent])
            moved = np.linalg.norm(syn.landmarks[j] - src.landmarks[parent], axis=1) > 1e-4
            assert moved.any() and moved.sum() <= 30
            assert not np.array_equal(syn.image(j), src.image(parent))
    with h5py.File(out, "r") as h5:  # plain h5py reads it
        assert h5.attrs["stage"] == "synth" and h5["images"].shape[0] == summary["written"]


def test_synth_severity_zero_copies_the_controls(prepared, tmp_path):
    out = tmp_path / "zero.h5"
    run_synth(prepared, out, "lt-v2", severity=0.0, progress=False)
    with fn.data.Dataset.open(prepared) as src, fn.data.Dataset.open(out) as syn:
        for j in range(len(syn)):
            np.testing.assert_array_equal(syn.image(j), src.image(j))


def test_synth_resumes_without_duplicates_and_refuses_other_arguments(prepared, tmp_path):
    out = tmp_path / "resume.h5"
    first = run_synth(prepared, out, "lt-v2", per_record=1, seed=1, progress=False)
    again = run_synth(prepared, out, "lt-v2", per_record=1, seed=1, progress=False)
    assert again["written"] == 0 and again["resumed_from"] == first["written"] + first["skipped"]
    with fn.data.Dataset.open(out) as syn:
        sources = [r["source"] for r in syn.records] + [r["source"] for r in syn.skipped]
        assert len(sources) == len(set(sources)) == first["written"] + first["skipped"]
    with pytest.raises(fn.DatasetError, match="different job"):
        run_synth(prepared, out, "lt-v2", per_record=1, seed=2, progress=False)
    with pytest.raises(fn.InputError, match="method"):
        run_synth(prepared, tmp_path / "x.h5", "lt-v3", progress=False)


def test_synth_cleft_records_every_parameter(prepared, tmp_path):
    out = tmp_path / "cleft.h5"
    summary = run_synth(prepared, out, "cleft", severity=0.8, per_record=2, seed=3, progress=False)
    with fn.data.Dataset.open(prepared) as src, fn.data.Dataset.open(out) as syn:
        assert summary["written"] == len(syn) == 2 * len(src) and not syn.skipped
        assert syn.params["cleft_kind"] == "mixed" and syn.params["cleft_side"] == "random"
        kinds = set()
        for j, record in enumerate(syn.records):
            p = record["params"]
            assert p["method"] == "cleft" and p["severity"] == 0.8 and isinstance(p["seed"], int)
            c = p["cleft"]
            assert c["severity"] == 0.8 and c["seed"] == p["seed"] and c["region_pixels"] > 0
            assert c["side"] in ("left", "right", "both") and c["per_side"]
            kinds.add(c["kind"])
            # the record is what synthesize_cleft makes of the parent with the recorded arguments
            again = fn.synthesize_cleft(src.image(record["parent_id"]), src.landmarks[record["parent_id"]],
                                        c["kind"], c["side"], 0.8, c["seed"])
            np.testing.assert_array_equal(syn.image(j), again.image)
            np.testing.assert_array_equal(syn.landmarks[j], again.landmarks)
        assert len(kinds) >= 2
    with pytest.raises(fn.InputError, match="cleft kind"):
        run_synth(prepared, tmp_path / "y.h5", "cleft", cleft_kind="median", progress=False)
