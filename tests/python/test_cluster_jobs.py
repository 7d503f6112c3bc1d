"""HDF5 batch jobs on a dask.distributed cluster (issue 19, item 8; docs/cluster.md): a LocalCluster
of 2 worker processes, one of them killed mid-shard, must write the threaded job's dataset."""
import json
import logging
import os
import shutil
import signal
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="python3-distributed is not installed")

from facenorm._core import DatasetError, InputError  # noqa: E402
from facenorm.cli.main import main as cli_main  # noqa: E402
from facenorm.data import prepare_dataset  # noqa: E402
from facenorm.data.prepare_cluster import prepare_dataset_on_cluster, prepare_shard  # noqa: E402
from facenorm.data.prepare_face import PrepareOptions  # noqa: E402
from facenorm.data.shards import merge_shard, plan_shards, shard_params  # noqa: E402
from facenorm.data.writer import DatasetWriter  # noqa: E402

OPTIONS = PrepareOptions(size=256, eye_distance=60.0, crops=("lip",))


@pytest.fixture(scope="module")
def photos(tmp_path_factory, astronaut_path, pipeline):
    """Six copies of the astronaut with a .npy side-car (workers never load the detector), an
    unreadable file and a broken side-car: 8 inputs, 6 records, 2 skips."""
    result = pipeline.analyze(astronaut_path)
    assert result.faces, "expected the astronaut's face"
    landmarks = np.asarray(result.faces[0].landmarks, np.float32)
    folder = tmp_path_factory.mktemp("cluster") / "photos"
    folder.mkdir()
    for i in range(6):
        shutil.copy(astronaut_path, folder / f"a{i}.png")
        np.save(folder / f"a{i}.npy", landmarks + np.float32(i))  # a different record per copy
    (folder / "b_letter.jpg").write_text("not a photo\n")
    shutil.copy(astronaut_path, folder / "c_badside.png")
    (folder / "c_badside.npy").write_bytes(b"garbage")
    return folder


@pytest.fixture(scope="module")
def threaded(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("threaded") / "threaded.h5"
    summary = prepare_dataset([photos], out, OPTIONS, threads=2, progress=False)
    assert (summary["written"], summary["skipped"]) == (6, 2)
    return out


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as c:
        yield c


def contents(path) -> dict:
    """Everything a record is, to compare two files (all but the job's `threads`)."""
    with h5py.File(path, "r") as h5:
        params = json.loads(h5.attrs["params"])
        params.pop("threads")
        found = {"params": params, "stage": h5.attrs["stage"], "records": h5["records"][:].tolist(),
                 "skipped": h5["skipped"][:].tolist()}
        for name in ("images", "landmarks", "boxes", "pose", "crops/lip"):
            found[name] = h5[name][:]
    return found


def assert_same_dataset(path, reference):
    got, want = contents(path), contents(reference)
    assert got.keys() == want.keys()
    for key in want:
        if isinstance(want[key], np.ndarray):
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)
        else:
            assert got[key] == want[key], key
    sources = [r[1] for r in got["records"]] + [s[0] for s in got["skipped"]]
    assert len(sources) == len(set(sources)) == 8


def kill_once(marker, path, done):
    """Kill this worker process after its first committed record, the first time only."""
    if not os.path.exists(marker):
        Path(marker).write_text(f"{path} {done} {os.getpid()}\n")
        os.kill(os.getpid(), signal.SIGKILL)


def test_two_workers_one_killed_mid_shard_write_the_threaded_dataset(photos, threaded, client, tmp_path):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    marker = tmp_path / "killed"
    out = tmp_path / "cluster.h5"
    from functools import partial

    summary = prepare_dataset_on_cluster([photos], out, OPTIONS, client=client, shard_size=3, progress=False,
                                         after_record=partial(kill_once, str(marker)))
    assert marker.exists(), "the fault hook never killed a worker"
    killed_shard, done, _ = marker.read_text().split()
    assert done == "1" and "shard-" in killed_shard
    assert (summary["written"], summary["skipped"], summary["shards"]) == (6, 2, 3)
    assert summary["skipped_by_reason"] == {"bad_landmarks": 1, "unreadable": 1}
    assert_same_dataset(out, threaded)
    assert not Path(str(out) + ".shards").exists(), "merged shards are removed"
    # the threaded job resumes the cluster's file (same params but threads): nothing left to do
    again = prepare_dataset([photos], out, OPTIONS, threads=1, progress=False)
    assert (again["written"], again["resumed_from"]) == (0, 8)


def test_partial_and_stale_shards_are_replaced_never_merged_twice(photos, threaded, client, tmp_path):
    out = str(tmp_path / "out.h5")
    sources = sorted(str(p) for p in photos.iterdir() if p.suffix in (".png", ".jpg"))
    plan = plan_shards(out, sources, 3)
    params = shard_params({"stage": "prepare", **OPTIONS.to_params()}, plan[0][1])
    os.makedirs(os.path.dirname(plan[0][0]))
    Path(plan[0][0]).write_bytes(b"a shard whose worker died while HDF5 wrote its metadata")
    # shard 1: a half-done shard of this job (its first input committed), which the rerun resumes
    prepare_shard(plan[1][0], plan[1][1][:1], OPTIONS, shard_params({"stage": "prepare", **OPTIONS.to_params()},
                                                                     plan[1][1]))
    for path, part in plan:
        prepare_shard(path, part, OPTIONS, shard_params({"stage": "prepare", **OPTIONS.to_params()}, part))
    with DatasetWriter.open(plan[1][0]) as shard:
        assert len(shard) + shard.skipped_count() == len(plan[1][1])
    # another run's shard (other inputs) under the same name is redone, not resumed
    prepare_shard(plan[2][0], plan[2][1], OPTIONS, shard_params({"stage": "prepare", "other": 1}, plan[2][1]))
    prepare_shard(plan[2][0], plan[2][1], OPTIONS, params | {"inputs": plan[2][1]})
    with DatasetWriter.create(out, (256, 256), crop_regions=["lip"], stage="prepare") as writer:
        with pytest.raises(DatasetError, match="exactly once"):  # a shard missing one of its inputs
            merge_shard(writer, plan[0][0], plan[0][1] + [str(photos / "zz_missing.png")])
        assert len(writer) == 0 and writer.skipped_count() == 0


def test_cli_on_a_scheduler_address(photos, threaded, client, tmp_path, capsys):
    out = tmp_path / "cli.h5"
    rc = cli_main(["prepare", str(photos), "--out", str(out), "--size", "256", "--eye-distance", "60",
                   "--crops", "lip", "--scheduler", client.scheduler.address, "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["written"], summary["skipped"], summary["workers"]) == (6, 2, 2)
    assert_same_dataset(out, threaded)


def test_scheduler_and_workers_are_exclusive(photos, tmp_path, capsys):
    assert cli_main(["prepare", str(photos), "--out", str(tmp_path / "x.h5"), "--workers", "2",
                     "--scheduler", "tcp://127.0.0.1:1"]) == 2  # argparse's error: exit status 2
    assert "not allowed with" in capsys.readouterr().err
    with pytest.raises(InputError, match="workers"):
        prepare_dataset_on_cluster([photos], tmp_path / "x.h5", OPTIONS, workers=0, progress=False)


def test_threads_with_a_cluster_is_refused_not_ignored(photos, tmp_path, capsys):
    for cluster in (["--workers", "1"], ["--scheduler", "tcp://127.0.0.1:1"]):
        rc = cli_main(["prepare", str(photos), "--out", str(tmp_path / "x.h5"), "--threads", "4", *cluster, "--json"])
        assert rc == 2
        error = json.loads(capsys.readouterr().out)
        assert error["error_type"] == "UsageError" and "--threads" in error["error"]
    assert not (tmp_path / "x.h5").exists()


def test_synth_on_two_workers_one_killed_equals_the_threaded_synth(threaded, client, tmp_path):
    import cloudpickle
    from functools import partial

    from facenorm.lipsynth.synth_job import run_synth

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    reference = run_synth(threaded, tmp_path / "synth_threaded.h5", "lt-v1,lt-v2", per_record=2, progress=False)
    marker = tmp_path / "killed"
    summary = run_synth(threaded, tmp_path / "synth_cluster.h5", "lt-v1,lt-v2", per_record=2, progress=False,
                        client=client, shard_size=5, after_record=partial(kill_once, str(marker)))
    assert marker.exists() and marker.read_text().split()[1] == "1"
    assert (summary["written"], summary["skipped"], summary["shards"]) == (reference["written"], reference["skipped"], 3)
    assert_same_records(tmp_path / "synth_cluster.h5", tmp_path / "synth_threaded.h5", summary["written"])


def assert_same_records(path, reference, written):
    with h5py.File(path, "r") as got, h5py.File(reference, "r") as want:
        assert got.attrs["params"] == want.attrs["params"]
        assert sorted(got) == sorted(want)
        for name in ("records", "skipped"):
            assert got[name][:].tolist() == want[name][:].tolist(), name
        for name in ("images", "landmarks", "boxes", "pose") + tuple(f"crops/{r}" for r in got.get("crops", {})):
            np.testing.assert_array_equal(got[name][:], want[name][:], err_msg=name)
        assert len({r[1] for r in got["records"][:]}) == written == got["records"].shape[0]  # no duplicates


def test_normalize_on_two_workers_one_killed_equals_the_threaded_normalize(threaded, client, tmp_path):
    import cloudpickle
    from functools import partial

    from facenorm.normalize.batch_job import run_normalize

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    reference = run_normalize(threaded, tmp_path / "norm_threaded.h5", "symmetry", progress=False)
    marker = tmp_path / "killed"
    summary = run_normalize(threaded, tmp_path / "norm_cluster.h5", "symmetry", progress=False,
                            client=client, shard_size=2, after_record=partial(kill_once, str(marker)))
    assert marker.exists() and marker.read_text().split()[1] == "1"
    assert (summary["written"], summary["skipped"], summary["shards"]) == (reference["written"], 0, 3)
    assert_same_records(tmp_path / "norm_cluster.h5", tmp_path / "norm_threaded.h5", summary["written"])


def test_cli_workers_starts_and_stops_a_local_cluster(photos, threaded, tmp_path, capsys):
    out = tmp_path / "local.h5"
    rc = cli_main(["prepare", str(photos), "--out", str(out), "--size", "256", "--eye-distance", "60",
                   "--crops", "lip", "--workers", "1", "--shard-size", "4", "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["written"], summary["skipped"], summary["workers"], summary["shards"]) == (6, 2, 1, 2)
    assert_same_dataset(out, threaded)


def score_columns(path, key) -> dict:
    with h5py.File(path, "r") as h5:
        found = {f"{key}/{name}": h5[f"{key}/{name}"][:] for name in h5[key]}
        found["attrs"] = dict(h5[key].attrs)
        if f"heatmaps/{key[len('scores/'):]}" in h5:
            found["heatmaps"] = h5[f"heatmaps/{key[len('scores/'):]}"][:]
    return found


@pytest.fixture(scope="module")
def synth_file(threaded, tmp_path_factory):
    from facenorm.lipsynth.synth_job import run_synth

    out = tmp_path_factory.mktemp("score") / "synth.h5"
    run_synth(threaded, out, "lt-v1,lt-v2", per_record=2, progress=False)
    return out


def test_score_on_two_workers_one_killed_writes_the_threaded_columns(synth_file, client, tmp_path):
    import cloudpickle
    from functools import partial

    from facenorm.score.batch import score_dataset

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    mine, theirs = tmp_path / "threaded.h5", tmp_path / "cluster.h5"
    shutil.copy(synth_file, mine)
    shutil.copy(synth_file, theirs)
    reference = score_dataset(mine, store_heatmaps=True, progress=False)
    marker = tmp_path / "killed"
    summary = score_dataset(theirs, store_heatmaps=True, progress=False, client=client, shard_size=5,
                            after_record=partial(kill_once, str(marker)))
    assert marker.exists() and marker.read_text().split()[1] == "1" and ".shards/shard-" in marker.read_text()
    assert (summary["records"], summary["shards"]) == (12, 3)  # (the killed worker may still be restarting)
    for name in ("records", "scored", "failed", "resumed_from", "mean_score", "key"):
        assert summary[name] == reference[name], name
    assert reference["scored"] == 12
    got, want = score_columns(theirs, reference["key"]), score_columns(mine, reference["key"])
    assert got.keys() == want.keys() and "heatmaps" in want
    for name in want:
        if isinstance(want[name], np.ndarray):
            np.testing.assert_array_equal(got[name], want[name], err_msg=name)
        else:
            assert got[name] == want[name], name
    assert not Path(str(theirs) + ".shards").exists(), "merged shards are removed"
    again = score_dataset(theirs, store_heatmaps=True, progress=False)  # the threaded job: nothing left
    assert (again["scored"], again["resumed_from"]) == (0, 12)


def test_score_shards_half_done_or_stale_are_resumed_or_redone(synth_file, tmp_path):
    from facenorm.score.batch_cluster import score_shard

    path = str(synth_file)
    settings = {"region": "mouth_nose", "method": "pse", "colour": "ycbcr", "erosion": 3, "soft_sigma": 0.0}
    with h5py.File(path, "r") as h5:
        parent = json.loads(h5.attrs["params"])["source"]
    keys = [f"{path}#{i}" for i in range(3)]
    shard = str(tmp_path / "f.h5.shards" / "shard-00000-x.h5")
    os.makedirs(os.path.dirname(shard))
    Path(shard).write_bytes(b"a shard whose worker died while HDF5 wrote its metadata")
    score_shard(shard, keys[:1], path, parent, settings, False)  # another job's shard (other keys): redone
    score_shard(shard, keys, path, parent, settings, False)
    with h5py.File(shard, "r") as h5:
        assert h5["done"][:].tolist() == [1, 1, 1] and not np.isnan(h5["score"][:]).any()
        first = h5["score"][:]
    with h5py.File(shard, "r+") as h5:  # a kill after row 0: rows 1 and 2 not committed
        h5["done"][1:] = 0
        h5["score"][1:] = np.nan
    calls = []
    score_shard(shard, keys, path, parent, settings, False, after_record=lambda p, n: calls.append(n))
    assert calls == [2, 3]
    with h5py.File(shard, "r") as h5:
        np.testing.assert_array_equal(h5["score"][:], first)


def test_cli_score_on_a_scheduler_address(synth_file, client, tmp_path, capsys):
    target = tmp_path / "cli.h5"
    shutil.copy(synth_file, target)
    rc = cli_main(["score", "--dataset", str(target), "--scheduler", client.scheduler.address, "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["records"], summary["scored"], summary["failed"]) == (12, 12, 0) and summary["workers"] >= 1
    assert cli_main(["score", "IMG.png", "--reference", "NORM.png", "--workers", "2", "--json"]) == 2
    assert "--dataset" in json.loads(capsys.readouterr().out)["error"]


def test_the_appraisal_feature_cache_on_two_workers_one_killed_equals_the_threaded_cache(shared_data, client, tmp_path):
    """fit-anomaly-model's cache (its own HDF5 layout) through shards: same faces, skips, features."""
    from functools import partial

    from facenorm.appraisal.feature_cache import build_feature_cache
    from facenorm.appraisal.features import Embedder

    images = sorted((shared_data / "utkface" / "images").glob("3_*.jpg"))[:9]
    if len(images) < 9:
        pytest.skip("UTKFace images missing")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    files = [(str(p), "3-5") for p in images[:5]] + [(str(broken), "3-5")] + [(str(p), "3-5") for p in images[5:]]
    embedder = Embedder(channels=8, seed=1)
    threaded = tmp_path / "threaded.h5"
    build_feature_cache(threaded, files, embedder, batch=2, progress=False)
    marker = tmp_path / "killed"
    clustered = tmp_path / "cluster.h5"
    summary = build_feature_cache(clustered, files, embedder, progress=False, client=client, shard_size=4,
                                  after_batch=partial(kill_once, str(marker)))
    assert marker.exists(), "the fault hook never killed a worker"
    assert summary["faces"] + summary["skipped"] == len(files) and summary["skipped"] >= 1
    key = "features/" + embedder.key
    with h5py.File(threaded, "r") as a, h5py.File(clustered, "r") as b:
        for name in ("faces/path", "faces/age_group", "faces/fallback", "skipped/path"):
            assert list(a[name][:]) == list(b[name][:]), name
        np.testing.assert_allclose(a["faces/landmarks"][:], b["faces/landmarks"][:])
        np.testing.assert_allclose(a[key][:].astype(np.float32), b[key][:].astype(np.float32), atol=1e-2)
        assert dict(a.attrs) == dict(b.attrs)
    assert not (tmp_path / "cluster.h5.shards").exists()
