"""The pairs stage of the lip-abnormality detector on real faces: balance and identity splits,
labels, pixel-aligned (original, normalized) crops, resume after a kill, the feature cache,
errors, build_lip_dataset and `facenorm lip-dataset`."""
import json
import shutil

import h5py
import numpy as np
import pytest

import facenorm as fn
import facenorm.data as fd
from facenorm.cli.main import main as cli_main
from facenorm.lipdetect import lip_pairs_build as pairs_module
from facenorm.lipdetect.lip_dataset import build_lip_dataset
from facenorm.lipdetect.lip_pairs import COLUMNS, LipPairs, store_features, subset_indices
from facenorm.lipdetect.lip_pairs_build import PairSource, build_pairs
from facenorm.normalize.batch_job import run_normalize

TRAIN_FACES, TEST_FACES, CLEFT_FACES = 6, 3, 2


@pytest.fixture(scope="module")
def faces(shared_data):
    train = sorted((shared_data / "celebamask" / "train" / "images").glob("*.jpg"))[:TRAIN_FACES]
    test = sorted((shared_data / "celebamask" / "test" / "images").glob("*.jpg"))
    shapes = shared_data / "clp_lip_shapes"
    if len(train) < TRAIN_FACES or len(test) < TEST_FACES + CLEFT_FACES or not shapes.is_dir():
        pytest.skip("CelebAMask-HQ faces or clp_lip_shapes missing under ../shared/data")
    # Celebrity faces stand in for patient photos: the pipeline only needs faces.
    return {"train": [str(p) for p in train], "test": [str(p) for p in test[:TEST_FACES]],
            "cleft": [str(p) for p in test[TEST_FACES:TEST_FACES + CLEFT_FACES]], "shapes": str(shapes)}


def lip_dataset_args(faces, work):
    return dict(control_inputs=faces["train"], work_dir=work, test_inputs=faces["test"], real_shapes=faces["shapes"],
                cleft_inputs=faces["cleft"], pose_filter=False, progress=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory, faces):
    """Every stage with the statistical normalizer (the command's default)."""
    work = tmp_path_factory.mktemp("lip_dataset")
    summary = build_lip_dataset(normalizer="statistical", **lip_dataset_args(faces, work))
    return {"work": work, "summary": summary, "path": summary["pairs"]}


@pytest.fixture(scope="module")
def identity_pairs(built, faces):
    """The same work folder with normalizer `none`: reuses prepare and synth, adds its own files."""
    return build_lip_dataset(normalizer="none", **lip_dataset_args(faces, built["work"]))


def sources_of(path) -> list:
    with LipPairs.open(path) as p:
        return [PairSource(**s) for s in p.params["sources"]]


def test_summary_subsets_labels_and_records(built):
    summary = built["summary"]
    n_train, n_test, n_cleft = TRAIN_FACES, TEST_FACES, CLEFT_FACES
    assert summary["records"] == 2 * n_train + 2 * n_test + n_test + n_cleft
    assert summary["labels"] == {"normal": n_train + n_test, "abnormal": n_train + 2 * n_test + n_cleft}
    assert set(summary["subsets"]) == {"train", "dev", "test", "test_controls", "test_real_shapes", "test_cleft"}
    assert summary["subsets"]["train"] + summary["subsets"]["dev"] == 2 * n_train
    assert summary["stages"]["pairs"]["written"] == summary["records"] and not summary["not_used"]
    assert all(s >= 0 for s in summary["seconds"].values())
    with LipPairs.open(built["path"]) as p:
        assert len(p) == summary["records"] and p.crop_size == 224
        subsets = p.subsets()
        for split in ("train", "dev", "test"):  # balanced 50/50 per split
            labels = p.labels[subsets[split]]
            assert len(labels) % 2 == 0 and labels.sum() * 2 == len(labels), split
            assert set(p.splits[subsets[split]]) <= {split}
        assert (p.labels[subsets["test_controls"]] == 0).all()
        assert len(subsets["test_controls"]) == n_test
        for tag, group, n in (("real_shapes", "lt-v2", n_test), ("cleft", "cleft", n_cleft)):
            idx = subsets[f"test_{tag}"]
            assert len(idx) == n and (p.labels[idx] == 1).all() and set(p.splits[idx]) == {"test"}
            assert set(p.groups[idx]) == {group}
        assert set(p.groups[p.labels == 0]) == {"control"} and set(p.groups[subsets["train"]]) <= {"control", "lt-v2"}
        for i in range(len(p)):
            record = p.record(i)
            params = record["params"]
            assert params["label"] == p.labels[i] and params["normalizer"] == "statistical"
            assert record["source"] == f"{params['source_file']}#{params['source_id']}"
            assert record["parent_id"] == params["source_id"]
            if p.groups[i] == "lt-v2":
                assert {"method", "template", "severity"} <= set(params) and params["method"] == "lt-v2"
        real = [p.record(i)["params"]["template"] for i in subsets["test_real_shapes"]]
        assert all(t.startswith("CL") for t in real)  # the measured cleft shapes, not the built-in templates


def test_identity_never_crosses_splits_and_test_stays_test(built):
    with LipPairs.open(built["path"]) as p:
        by_identity = {}
        for i in range(len(p)):
            by_identity.setdefault(p.record(i)["params"]["identity"], set()).add(p.splits[i])
        assert all(len(splits) == 1 for splits in by_identity.values())
        for i in range(len(p)):
            params = p.record(i)["params"]
            if "/test/" in params["photo"]:
                assert p.splits[i] == "test"
    # a larger dev fraction moves whole identities (control and copy together) to dev
    out = built["work"] / "dev_half.h5"
    build_pairs(None, out, sources=sources_of(built["path"]), dev_fraction=0.5, seed=3, progress=False)
    with LipPairs.open(out) as p:
        balanced = np.concatenate([p.subsets()["train"], p.subsets()["dev"]])
        for i in balanced[::2]:
            assert p.labels[i] == 0 and p.labels[i + 1] == 1 and p.splits[i] == p.splits[i + 1]
            assert p.record(i + 1)["params"]["control_id"] == p.record(i)["params"]["source_id"]


def test_crops_are_cut_with_the_prepare_lip_geometry(built):
    with LipPairs.open(built["path"]) as p, fd.Dataset.open(built["work"] / "controls.h5") as controls:
        for i in range(4):
            params = p.record(i)["params"]
            with fd.Dataset.open(params["source_file"]) as face, fd.Dataset.open(params["normalized_file"]) as norm:
                image, landmarks = face.image(params["source_id"]), face.landmarks[params["source_id"]]
                crop = fn.crop_region(image, landmarks, "lip", 224)
                np.testing.assert_array_equal(p.original([i])[0], crop.image)
                np.testing.assert_allclose(params["crop_matrix"], crop.matrix, atol=1e-9)
                same = fn.crop_region(norm.image(params["normalized_id"]), landmarks, "lip", 224)
                np.testing.assert_array_equal(p.normalized([i])[0], same.image)
            m = np.asarray(crop.matrix)
            np.testing.assert_allclose(p.landmarks([i])[0], landmarks @ m[:, :2].T + m[:, 2], atol=1e-3)
        assert len(controls) == TRAIN_FACES


def shifted_difference(a, b, dx: int) -> float:
    a, b = a.astype(np.float32), b.astype(np.float32)
    if dx == 0:
        return float(np.abs(a - b).mean())
    return float(np.abs(a[:, dx:] - b[:, :-dx]).mean())


def test_statistical_pairs_are_pixel_aligned(built):
    with LipPairs.open(built["path"]) as p:
        controls = np.flatnonzero(p.labels == 0)
        originals, normalized = p.original(controls), p.normalized(controls)
        for o, n in zip(originals, normalized):
            # aligned: the unshifted difference is the smallest (a normalizer changes a few pixels)
            assert shifted_difference(o, n, 0) < min(shifted_difference(o, n, d) for d in (2, 4))


def test_identity_normalizer_gives_identical_crops(identity_pairs, built):
    assert identity_pairs["normalizer"] == "none" and identity_pairs["pairs"] != built["path"]
    assert identity_pairs["stages"]["prepare_controls"]["written"] == 0  # reused
    assert identity_pairs["stages"]["synth_controls_lt-v2"]["written"] == 0
    with LipPairs.open(identity_pairs["pairs"]) as p:
        everything = np.arange(len(p))
        np.testing.assert_array_equal(p.original(everything), p.normalized(everything))


def test_transformed_crop_differs_from_its_control_in_the_upper_lip(identity_pairs):
    with LipPairs.open(identity_pairs["pairs"]) as p:
        balanced = np.concatenate([p.subsets()[s] for s in ("train", "dev", "test")])
        for c in balanced[p.labels[balanced] == 0]:
            t = c + 1  # a control is written just before its copy
            assert p.labels[t] == 1 and p.record(t)["params"]["control_id"] == p.record(c)["params"]["source_id"]
            upper = p.landmarks([c])[0][49:54]  # outer upper lip, crop pixels of the control
            x0, y0 = np.floor(upper.min(axis=0)).astype(int) - 4
            x1, y1 = np.ceil(upper.max(axis=0)).astype(int) + 8
            a = p.original([c])[0][y0:y1, x0:x1].astype(np.float32)
            b = p.original([t])[0][y0:y1, x0:x1].astype(np.float32)
            assert np.abs(a - b).mean() > 3.0, (c, np.abs(a - b).mean())


def test_resume_after_a_kill_neither_loses_nor_duplicates(built, tmp_path, monkeypatch):
    sources, out = sources_of(built["path"]), tmp_path / "resumed.h5"
    cut, calls = pairs_module._PairCutter.cut, {"n": 0}

    def dying_cut(self, planned):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt  # the job is killed while writing record 6
        return cut(self, planned)

    monkeypatch.setattr(pairs_module._PairCutter, "cut", dying_cut)
    with pytest.raises(KeyboardInterrupt):
        build_pairs(None, out, sources=sources, progress=False)
    monkeypatch.setattr(pairs_module._PairCutter, "cut", cut)
    with h5py.File(out, "a") as h5:  # and a record half-written: arrays grown, no `records` row
        assert h5["records"].shape[0] == 5
        for name in ("images", "crops/normalized", "columns/label"):
            h5[name].resize(6, axis=0)
    summary = build_pairs(None, out, sources=sources, progress=False)
    assert summary["resumed_from"] == 5 and summary["written"] == summary["records"] - 5
    with LipPairs.open(out) as resumed, LipPairs.open(built["path"]) as clean:
        keys = [resumed.record(i)["source"] for i in range(len(resumed))]
        assert len(keys) == len(set(keys)) == len(clean)
        assert keys == [clean.record(i)["source"] for i in range(len(clean))]
        everything = np.arange(len(clean))
        np.testing.assert_array_equal(resumed.labels, clean.labels)
        np.testing.assert_array_equal(resumed.original(everything), clean.original(everything))
        np.testing.assert_array_equal(resumed.normalized(everything), clean.normalized(everything))
    again = build_pairs(None, out, sources=sources, progress=False)
    assert again["written"] == 0 and again["records"] == len(keys)
    with pytest.raises(fn.DatasetError, match="different job"):
        build_pairs(None, out, sources=sources, seed=1, progress=False)


def test_feature_cache_is_atomic_and_checked(built, tmp_path):
    path = tmp_path / "features.h5"
    shutil.copy(built["path"], path)
    with LipPairs.open(path) as p:
        n = len(p)
    features = np.random.default_rng(0).normal(size=(n, 8, 2, 2)).astype(np.float32)
    attrs = {"weights": "mobilenet_v2.pt", "sha256": "ab12", "input_size": 224, "mean": [0.485, 0.456, 0.406]}

    def chunks(array, die_after=None):
        for k, start in enumerate(range(0, n, 4)):
            if die_after is not None and k == die_after:
                raise KeyboardInterrupt  # killed mid-write
            yield array[start:start + 4]

    with pytest.raises(KeyboardInterrupt):
        store_features(path, "mobilenet_v2", "block16", chunks(features, die_after=2), attrs)
    with LipPairs.open(path) as p:
        assert not p.has_features("mobilenet_v2", "block16", attrs)
        with pytest.raises(fn.DatasetError, match="no features"):
            p.read_features("mobilenet_v2", "block16", [0])
    with h5py.File(path, "a") as h5:  # a hard kill leaves the temporary dataset: never read, replaced
        h5.create_dataset("features/mobilenet_v2/block16.partial", data=np.zeros((2, 3), np.float16))
    summary = store_features(path, "mobilenet_v2", "block16", chunks(features), attrs)
    assert summary["shape"] == [n, 8, 2, 2]
    with LipPairs.open(path) as p:
        assert p.has_features("mobilenet_v2", "block16", dict(attrs))
        assert not p.has_features("mobilenet_v2", "block16", {**attrs, "sha256": "ff00"})
        assert not p.has_features("mobilenet_v2", "other", attrs)
        got = p.read_features("mobilenet_v2", "block16", [5, 0, 3], attrs)
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got, features[[5, 0, 3]].astype(np.float16))
        with pytest.raises(fn.DatasetError, match="other settings"):
            p.read_features("mobilenet_v2", "block16", [0], {**attrs, "input_size": 256})
        with pytest.raises(fn.DatasetError, match="close it first"):  # this reader holds it read-only
            store_features(path, "mobilenet_v2", "x", features, attrs)
        # a failed rewrite leaves the complete cache as it was
        with pytest.raises(KeyboardInterrupt):
            p.store_features("mobilenet_v2", "block16", chunks(2 * features, die_after=1), {**attrs, "sha256": "new"})
        assert p.has_features("mobilenet_v2", "block16", attrs)
        # an open reader can store features computed from its own crops
        means = (p.original(range(i, min(i + 4, n))).mean(axis=(1, 2)) for i in range(0, n, 4))
        p.store_features("pixels", "mean_rgb", means, {"what": "mean RGB"})
        np.testing.assert_allclose(p.read_features("pixels", "mean_rgb", [1])[0],
                                   p.original([1])[0].mean(axis=(0, 1)), rtol=1e-3)
    with h5py.File(path, "r") as h5:
        ds = h5["features/mobilenet_v2/block16"]
        assert ds.chunks == (1, 8, 2, 2) and ds.compression is None
        assert "block16.partial" not in h5["features/mobilenet_v2"]
    with pytest.raises(fn.InputError, match="one per record"):
        store_features(path, "mobilenet_v2", "short", features[:-1], attrs)
    with pytest.raises(fn.InputError, match="float16"):
        store_features(path, "mobilenet_v2", "huge", features * 1e6, attrs)


def test_errors_name_what_was_expected(built, tmp_path):
    work = built["work"]
    with pytest.raises(fn.MissingFileError):
        LipPairs.open(tmp_path / "missing.h5")
    with pytest.raises(fn.DatasetError, match="'prepare' stage file; expected a 'pairs' file"):
        LipPairs.open(work / "controls.h5")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5" * 100)
    with pytest.raises(fn.DatasetError, match="not an HDF5 file"):
        LipPairs.open(tmp_path / "junk.h5")
    norm = work / "normalized" / "statistical"
    good = dict(normalized_controls=norm / "controls.h5", transformed=work / "controls.lt-v2.h5",
                normalized_transformed=norm / "controls.lt-v2.h5", progress=False)
    with pytest.raises(fn.DatasetError, match="expected the 'synth' output"):
        build_pairs(work / "controls.h5", tmp_path / "a.h5", **{**good, "transformed": work / "test.h5"})
    with pytest.raises(fn.DatasetError, match="was made from"):
        build_pairs(work / "controls.h5", tmp_path / "b.h5", **{**good, "normalized_controls": norm / "test.h5"})
    unfinished = tmp_path / "unfinished.h5"
    shutil.copy(norm / "controls.h5", unfinished)
    with h5py.File(unfinished, "a") as h5:  # as if the normalize job had been killed
        h5["records"].resize(h5["records"].shape[0] - 1, axis=0)
    with pytest.raises(fn.DatasetError, match="has not finished"):
        build_pairs(work / "controls.h5", tmp_path / "c.h5", **{**good, "normalized_controls": unfinished})
    with pytest.raises(fn.InputError, match="normalized_transformed"):
        build_pairs(work / "controls.h5", tmp_path / "d.h5", transformed=work / "controls.lt-v2.h5",
                    normalized_controls=norm / "controls.h5", progress=False)
    with pytest.raises(fn.InputError, match="same input record twice"):
        build_pairs(work / "controls.h5", tmp_path / "e.h5", cleft=work / "controls.h5",
                    normalized_cleft=norm / "controls.h5", **good)
    assert not any((tmp_path / f"{c}.h5").exists() for c in "abcde")


def test_skipped_inputs_keep_the_splits_balanced(built, tmp_path):
    """A control whose copy the normalizer refused is left out with it (recorded, not lost)."""
    work = built["work"]

    class RefuseSecond(fn.normalize.Normalizer):
        """The identity, except that it refuses the second face when `refusing`."""
        name = "refuse_second"
        refusing, calls = False, 0

        def _normalize(self, image, landmarks):
            RefuseSecond.calls += 1
            if self.refusing and RefuseSecond.calls == 2:
                raise fn.InputError("refused on purpose")
            return fn.normalize.NormalizationResult(image.copy(), np.zeros(image.shape[:2], np.float32))

    run_normalize(work / "controls.h5", tmp_path / "controls.norm.h5", RefuseSecond(), progress=False)
    RefuseSecond.refusing, RefuseSecond.calls = True, 0
    run_normalize(work / "controls.lt-v2.h5", tmp_path / "controls.lt-v2.norm.h5", RefuseSecond(), progress=False)
    out = tmp_path / "pairs.h5"
    summary = build_pairs(work / "controls.h5", out, transformed=work / "controls.lt-v2.h5",
                          normalized_controls=tmp_path / "controls.norm.h5",
                          normalized_transformed=tmp_path / "controls.lt-v2.norm.h5", progress=False)
    assert summary["records"] == 2 * (TRAIN_FACES - 1) and summary["labels"]["normal"] == TRAIN_FACES - 1
    assert summary["skipped_by_reason"] == {"not_normalized": 1, "unpaired": 1}
    with fd.Dataset.open(out) as d:
        assert {s["source"] for s in d.skipped} == {f"{work / 'controls.h5'}#1", f"{work / 'controls.lt-v2.h5'}#1"}


def write_fake_pairs(path, rows, sources):
    """A small pairs file written directly: (split, label, age_group, source_index) per record."""
    writer = fd.DatasetWriter.create(path, (16, 16), crop_regions=["normalized"], crop_size=16,
                                     params={"stage": "pairs", "sources": sources}, stage="pairs", columns=COLUMNS)
    with writer:
        for k, (split, label, age, source) in enumerate(rows):
            crop = np.full((16, 16, 3), k, np.uint8)
            writer.append(f"/x#{k}", crop, np.zeros((68, 2), np.float32), np.zeros(4), np.zeros(3),
                          crops={"normalized": crop}, age_group=age, split=split,
                          columns={"label": label, "source_index": source})


def test_subsets_by_age_and_without_children(tmp_path):
    sources = [{"abnormal_only": False, "tag": ""}, {"abnormal_only": True, "tag": "cleft"}]
    rows = [("train", 0, "adult", 0), ("train", 1, "adult", 0), ("train", 0, "child", 0), ("train", 1, "child", 0),
            ("dev", 0, "child", 0), ("dev", 1, "child", 0), ("test", 0, "adult", 0), ("test", 1, "adult", 0),
            ("test", 0, "child", 0), ("test", 1, "child", 0), ("test", 1, "child", 1)]
    write_fake_pairs(tmp_path / "p.h5", rows, sources)
    with LipPairs.open(tmp_path / "p.h5") as p:
        subsets = p.subsets()
        assert {k: v.tolist() for k, v in subsets.items()} == {
            "train": [0, 1, 2, 3], "dev": [4, 5], "test": [6, 7, 8, 9], "test_adults": [6], "test_children": [8],
            "test_cleft": [10]}
        without = subset_indices(p, exclude_children=True)
        assert without["train"].tolist() == [0, 1] and without["dev"].tolist() == [] and \
            without["test"].tolist() == [6, 7, 8, 9]
        np.testing.assert_array_equal(p.original([3, 1])[:, 0, 0, 0], [3, 1])
        with pytest.raises(IndexError):
            p.original([11])


def test_columns_follow_the_commit_protocol(tmp_path):
    path = tmp_path / "p.h5"
    write_fake_pairs(path, [("train", 0, "", 0), ("train", 1, "", 0)], [{"abnormal_only": False, "tag": ""}])
    with fd.DatasetWriter.open(path) as writer:
        crop = np.zeros((16, 16, 3), np.uint8)
        base = dict(crops={"normalized": crop})
        with pytest.raises(fn.InputError, match="expected columns"):
            writer.append("/y", crop, np.zeros((68, 2), np.float32), np.zeros(4), np.zeros(3), **base)
        with pytest.raises(fn.InputError, match="int8 holds"):
            writer.append("/y", crop, np.zeros((68, 2), np.float32), np.zeros(4), np.zeros(3), **base,
                          columns={"label": 300, "source_index": 0})
    with h5py.File(path, "a") as h5:
        assert h5["columns/label"].shape == (2,) and h5["columns/label"].dtype == np.int8
        h5["columns/label"].resize(3, axis=0)  # half-written record
    with fd.Dataset.open(path) as d:
        assert d.columns == ["label", "source_index"] and d.column("label").tolist() == [0, 1]
    with fd.DatasetWriter.open(path):
        pass
    with h5py.File(path, "r") as h5:
        assert h5["columns/label"].shape == (2,)


def test_cli_resumes_the_same_work_folder(built, faces, capsys):
    argv = ["lip-dataset", *faces["train"], "--out", str(built["work"]), "--test", *faces["test"],
            "--real-shapes", faces["shapes"], "--cleft", *faces["cleft"], "--no-pose-filter", "--json"]
    assert cli_main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["pairs"] == built["path"] and summary["subsets"] == built["summary"]["subsets"]
    assert all(stage["written"] == 0 for stage in summary["stages"].values())
    assert cli_main(["lip-dataset", faces["train"][0], "--out", str(built["work"]), "--real-shapes",
                     faces["shapes"], "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error_type"] == "InputError"


def test_children_give_age_subsets_and_the_without_children_ablation(faces, tmp_path):
    """Faces passed as children (here: adults standing in) are recorded as such; the others become
    adults, the test split gets test_adults / test_children, and exclude_children empties them."""
    summary = build_lip_dataset(faces["train"][:4], tmp_path, test_inputs=faces["test"][:2],
                                children_inputs=faces["train"][4:6], test_children_inputs=faces["test"][2:3],
                                normalizer="none", pose_filter=False, dev_fraction=0.3, progress=False)
    with LipPairs.open(summary["pairs"]) as p:
        subsets = p.subsets()
        assert "test_controls" not in subsets
        assert len(subsets["test_adults"]) == 2 and len(subsets["test_children"]) == 1
        assert set(p.age_groups[subsets["test_children"]]) == {"child"}
        kids = np.flatnonzero(p.age_groups == "child")
        train_dev = np.concatenate([subsets["train"], subsets["dev"]])
        assert np.isin(kids, train_dev).sum() == 4  # two children, each with its LT-v2 copy
        without = p.subsets(exclude_children=True)
        assert not np.isin(kids, np.concatenate([without["train"], without["dev"]])).any()


def test_pairs_on_two_workers_one_killed_equal_the_threaded_pairs(built, tmp_path):
    """The pairs stage on a dask LocalCluster (docs/cluster.md), one worker SIGKILLed after its first
    record: the same file as the one-host job's, no record lost or duplicated."""
    pytest.importorskip("distributed", reason="python3-distributed is not installed")
    import logging
    import sys
    from functools import partial
    from pathlib import Path

    import cloudpickle
    from distributed import Client, LocalCluster

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    sources, out, marker = sources_of(built["path"]), tmp_path / "cluster.h5", tmp_path / "killed"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        summary = build_pairs(None, out, sources=sources, progress=False, client=client, shard_size=4,
                              after_record=partial(kill_once, str(marker)))
    assert marker.exists() and marker.read_text().split()[1] == "1"
    assert summary["records"] == built["summary"]["records"] and summary["shards"] >= 3
    assert not Path(str(out) + ".shards").exists()
    with h5py.File(out, "r") as got, h5py.File(built["path"], "r") as want:
        assert got.attrs["params"] == want.attrs["params"]
        for name in ("records", "skipped"):
            assert got[name][:].tolist() == want[name][:].tolist(), name
        for name in ("images", "landmarks", "boxes", "pose", "crops/normalized", "columns/label",
                     "columns/source_index"):
            np.testing.assert_array_equal(got[name][:], want[name][:], err_msg=name)
        keys = [r[1] for r in got["records"][:]]
        assert len(keys) == len(set(keys))
    again = build_pairs(None, out, sources=sources, progress=False)
    assert again["written"] == 0


def kill_once(marker, path, done):
    """Kill this worker process after its first committed record, the first time only."""
    import os
    import signal
    from pathlib import Path

    if not os.path.exists(marker):
        Path(marker).write_text(f"{path} {done} {os.getpid()}\n")
        os.kill(os.getpid(), signal.SIGKILL)


def test_lip_dataset_on_a_local_cluster_builds_the_same_files(built, faces, tmp_path, capsys):
    """Every stage of `facenorm lip-dataset --workers 2` through the dask shards: the same pairs file."""
    pytest.importorskip("distributed", reason="python3-distributed is not installed")
    work = tmp_path / "cluster_work"
    args = lip_dataset_args(faces, work)
    rc = cli_main(["lip-dataset", *args["control_inputs"], "--out", str(work), "--test", *args["test_inputs"],
                   "--real-shapes", args["real_shapes"], "--cleft", *args["cleft_inputs"], "--no-pose-filter",
                   "--workers", "2", "--shard-size", "3", "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"] == built["summary"]["records"] and summary["subsets"] == built["summary"]["subsets"]
    with h5py.File(summary["pairs"], "r") as got, h5py.File(built["path"], "r") as want:
        params = json.loads(got.attrs["params"])
        expected = json.loads(want.attrs["params"])
        assert json.dumps(params).replace(str(work), "W") == json.dumps(expected).replace(str(built["work"]), "W")
        for name in ("images", "crops/normalized", "columns/label", "columns/source_index", "landmarks"):
            np.testing.assert_array_equal(got[name][:], want[name][:], err_msg=name)
        assert [r[1].decode().replace(str(work), "W") for r in got["records"][:]] == \
            [r[1].decode().replace(str(built["work"]), "W") for r in want["records"][:]]
    assert cli_main(["lip-dataset", *args["control_inputs"], "--out", str(work), "--workers", "2",
                     "--threads", "2", "--json"]) == 2
    assert "--threads" in json.loads(capsys.readouterr().out)["error"]
