"""facenorm normalize over a small dataset: identity copies, a custom normalizer recorded,
crops recut, refusals skipped, resume after a crash, argument checks, the CLI."""
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

import facenorm as fn
from facenorm.cli.main import main as cli_main
from facenorm.data.prepare import prepare_dataset
from facenorm.data.prepare_face import PrepareOptions
from facenorm.lipsynth.synth_job import run_synth
from facenorm.normalize import NormalizationResult, Normalizer, register_normalizer
from facenorm.normalize.batch_job import run_normalize

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("lip", "mouth_nose")
SUMMARY_KEYS = {"out", "written", "skipped", "resumed_from", "normalizer", "seconds", "seconds_per_image"}


class DarkenMouth(Normalizer):
    """Halves the brightness of the mouth's bounding box: a visible, checkable change."""

    name = "darken_mouth"

    def __init__(self, factor="0.5"):
        self.factor = float(factor)

    def options(self):
        return {"factor": self.factor}

    def _normalize(self, image, landmarks):
        x0, y0 = np.floor(landmarks[48:].min(axis=0)).astype(int)
        x1, y1 = np.ceil(landmarks[48:].max(axis=0)).astype(int) + 1
        out, changed = image.copy(), np.zeros(image.shape[:2], np.float32)
        out[y0:y1, x0:x1] = (out[y0:y1, x0:x1] * self.factor).astype(np.uint8)
        changed[y0:y1, x0:x1] = 1.0
        # NumPy values on purpose: the job must store them as plain JSON.
        return NormalizationResult(out, changed, None, {"mouth_box": np.array([x0, y0, x1, y1]),
                                                         "pixels": np.int64(changed.sum()), "ratio": np.nan})


class CrashAfter(DarkenMouth):
    """DarkenMouth that dies with an unexpected error once `budget` faces are done (a crash)."""

    name = "crash_after"
    budget = None

    def options(self):
        return {}

    def _normalize(self, image, landmarks):
        if CrashAfter.budget is not None:
            if CrashAfter.budget == 0:
                raise RuntimeError("simulated crash")
            CrashAfter.budget -= 1
        return super()._normalize(image, landmarks)


class RefuseRight(Normalizer):
    """Refuses faces whose chin (landmark 8) lies right of x, as a normalizer refuses a face it
    cannot handle; `error` picks the facenorm error it raises."""

    name = "refuse_right"

    def __init__(self, x="0", error="InputError"):
        self.x, self.error = float(x), error

    def options(self):
        return {"x": self.x, "error": self.error}

    def _normalize(self, image, landmarks):
        if landmarks[8, 0] > self.x:
            raise getattr(fn, self.error)(f"chin at x={landmarks[8, 0]:.1f} > {self.x}")
        return NormalizationResult(image.copy(), np.zeros(image.shape[:2], np.float32), landmarks.copy())


for normalizer in (DarkenMouth, CrashAfter, RefuseRight):
    register_normalizer(normalizer.name, normalizer)


@pytest.fixture(scope="module")
def source(tmp_path_factory, celeba_images):
    """A prepared dataset with crops, rewritten with subject and age labels so that copying every
    label is checked (prepare itself sets only group and split)."""
    folder = tmp_path_factory.mktemp("normalize")
    prepared = folder / "prepared.h5"
    options = PrepareOptions(size=256, eye_distance=60.0, pose_filter=False, crops=REGIONS, crop_size=64,
                             group="normal", split="test")
    prepare_dataset(celeba_images[:6], prepared, options, threads=1, progress=False)
    labelled = folder / "labelled.h5"
    with fn.data.Dataset.open(prepared) as d, \
            fn.data.DatasetWriter.create(labelled, d.image_shape, crop_regions=REGIONS, crop_size=64,
                                         params=d.params, stage="prepare") as w:
        assert len(d) >= 4
        for i, s in enumerate(d):
            w.append(s.record["source"], s.image, s.landmarks, s.box, s.pose, crops=s.crops,
                     subject_id=f"subject{i // 2}", group="normal", age_group=("child", "adult")[i % 2],
                     split="test", params=s.record["params"])
    return labelled


def assert_same_dataset(a, b):
    """Every record, array and crop equal (what a resumed run must produce)."""
    with fn.data.Dataset.open(a) as x, fn.data.Dataset.open(b) as y:
        assert x.records == y.records and x.skipped == y.skipped and x.params == y.params
        for name in ("landmarks", "boxes", "pose"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name))
        for i in range(len(x)):
            np.testing.assert_array_equal(x.image(i), y.image(i))
            for region in x.crop_regions:
                np.testing.assert_array_equal(x.crop(region, i), y.crop(region, i))


def test_none_copies_every_record_bit_exactly(source, tmp_path):
    out = tmp_path / "none.h5"
    summary = run_normalize(source, out, "none", progress=False)
    assert set(summary) == SUMMARY_KEYS and summary["normalizer"] == "none"
    with fn.data.Dataset.open(source) as src, fn.data.Dataset.open(out) as norm:
        assert summary["written"] == len(norm) == len(src) and summary["skipped"] == 0 and not norm.skipped
        assert norm.crop_regions == list(REGIONS) and norm.h5["crops/lip"].shape[1:] == (64, 64, 3)
        for j, (s, r) in enumerate(zip(src, norm)):
            assert r.record["source"] == f"{source}#{j}" and r.record["parent_id"] == j
            assert {k: r.record[k] for k in ("subject_id", "group", "age_group", "split")} == \
                   {k: s.record[k] for k in ("subject_id", "group", "age_group", "split")}
            for name in ("image", "landmarks", "box", "pose"):
                np.testing.assert_array_equal(getattr(r, name), getattr(s, name))
            for region in REGIONS:
                np.testing.assert_array_equal(r.crops[region], s.crops[region])
            p = r.record["params"]
            assert p["normalizer"] == "none" and p["changed_fraction"] == 0.0
            np.testing.assert_allclose(p["crops"]["lip"]["matrix"], s.record["params"]["crops"]["lip"]["matrix"])
        assert norm.params == {"stage": "normalize", "source": str(source), "normalizer": "none"}
    with h5py.File(out, "r") as h5:  # plain h5py reads it
        assert h5.attrs["stage"] == "normalize" and h5["images"].shape[0] == summary["written"]


def test_a_synth_dataset_is_normalized_too(source, tmp_path):
    synth = tmp_path / "synth.h5"
    run_synth(source, synth, "lt-v2", per_record=1, seed=3, progress=False)
    summary = run_normalize(synth, tmp_path / "norm.h5", "none", progress=False)
    with fn.data.Dataset.open(synth) as src, fn.data.Dataset.open(tmp_path / "norm.h5") as norm:
        assert summary["written"] == len(norm) == len(src) and norm.crop_regions == []
        assert [r["group"] for r in norm.records] == ["lt-v2"] * len(src)
        assert [r["parent_id"] for r in norm.records] == list(range(len(src)))
        np.testing.assert_array_equal(norm.landmarks, src.landmarks)


def test_a_custom_normalizer_is_applied_and_recorded(source, tmp_path):
    out = tmp_path / "dark.h5"
    summary = run_normalize(source, out, "darken_mouth:factor=0.5", progress=False)
    assert summary["normalizer"] == "darken_mouth:factor=0.5" and summary["skipped"] == 0
    with fn.data.Dataset.open(source) as src, fn.data.Dataset.open(out) as norm:
        assert norm.params["normalizer"] == "darken_mouth:factor=0.5"
        for s, r in zip(src, norm):
            x0, y0, x1, y1 = r.record["params"]["mouth_box"]
            expected = s.image.copy()
            expected[y0:y1, x0:x1] //= 2
            np.testing.assert_array_equal(r.image, expected)
            np.testing.assert_array_equal(r.landmarks, s.landmarks)  # None from the normalizer: kept
            p = r.record["params"]
            assert p["normalizer"] == "darken_mouth:factor=0.5" and p["ratio"] is None
            assert isinstance(p["pixels"], int) and p["pixels"] == (x1 - x0) * (y1 - y0)
            assert p["changed_fraction"] == pytest.approx(p["pixels"] / (256 * 256))
            for region in REGIONS:  # recut from the normalized face, with the input's geometry
                recut = fn.crop_region(r.image, s.landmarks, region, size=64)
                np.testing.assert_array_equal(r.crops[region], recut.image)
            assert r.crops["lip"].mean() < s.crops["lip"].mean()


@pytest.mark.parametrize("error", ["InputError", "NoFaceError"])
def test_refused_records_are_skipped_and_counted(source, tmp_path, error):
    with fn.data.Dataset.open(source) as src:
        chin_x = src.landmarks[:, 8, 0]
    x = float(np.median(chin_x))
    refused = [i for i, v in enumerate(chin_x) if v > x]
    assert 0 < len(refused) < len(chin_x)
    summary = run_normalize(source, tmp_path / "refuse.h5", f"refuse_right:x={x},error={error}", progress=False)
    assert summary["skipped"] == len(refused) and summary["written"] == len(chin_x) - len(refused)
    with fn.data.Dataset.open(tmp_path / "refuse.h5") as norm:
        assert [s["source"] for s in norm.skipped] == [f"{source}#{i}" for i in refused]
        assert {(s["reason"], s["error_type"]) for s in norm.skipped} == {("normalizer_refused", error)}
        assert [r["parent_id"] for r in norm.records] == [i for i in range(len(chin_x)) if i not in refused]


def test_a_crash_keeps_what_was_done_and_a_rerun_finishes_it(source, tmp_path):
    CrashAfter.budget = None
    clean = tmp_path / "clean.h5"
    total = run_normalize(source, clean, "crash_after", progress=False)["written"]
    out = tmp_path / "crashed.h5"
    CrashAfter.budget = 3
    try:
        with pytest.raises(RuntimeError, match="simulated crash"):
            run_normalize(source, out, "crash_after", progress=False)
    finally:
        CrashAfter.budget = None
    with fn.data.Dataset.open(out) as partial:
        assert len(partial) == 3
    resumed = run_normalize(source, out, "crash_after", progress=False)
    assert resumed["resumed_from"] == 3 and resumed["written"] == total - 3
    assert_same_dataset(out, clean)  # no duplicate, no loss: identical to the uninterrupted run
    again = run_normalize(source, out, "crash_after", progress=False)
    assert again["written"] == 0 and again["resumed_from"] == total and again["seconds_per_image"] is None


def test_another_normalizer_on_an_existing_output_is_refused(source, tmp_path):
    out = tmp_path / "out.h5"
    run_normalize(source, out, "none", progress=False)
    with pytest.raises(fn.DatasetError, match=r"'normalizer': 'none'.*this run has .*'normalizer': 'darken_mouth:factor=0.5'"):
        run_normalize(source, out, "darken_mouth", progress=False)
    with fn.data.Dataset.open(out) as norm:
        assert norm.params["normalizer"] == "none"


def test_cli_prints_one_json_document(source, tmp_path):
    out = tmp_path / "cli.h5"
    command = [sys.executable, "-m", "facenorm", "normalize", str(source), "--out", str(out), "--json"]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.count("\n") == 1, f"expected exactly one JSON document, got {finished.stdout!r}"
    summary = json.loads(finished.stdout)
    assert set(summary) == SUMMARY_KEYS and summary["out"] == str(out) and summary["normalizer"] == "none"
    assert "normalize" in finished.stderr  # the progress bar goes to stderr


def test_cli_unknown_normalizer_lists_the_names(source, tmp_path, capsys):
    out = tmp_path / "bad.h5"
    rc = cli_main(["normalize", str(source), "--out", str(out), "--normalizer", "nosuch:x=1"])
    err = capsys.readouterr().err
    assert rc == 1 and "unknown normalizer 'nosuch'" in err and "none" in err and "symmetry" in err
    assert not out.exists()
