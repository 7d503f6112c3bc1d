"""Writers exclude each other: two jobs started together on one dataset path end with one
complete dataset and one clean DatasetError, never both succeeding (issue 19's race)."""
import multiprocessing as mp

import numpy as np
import pytest

import facenorm as fn
import facenorm.data as fd

SHAPE = (24, 20)
RECORDS = 6


def _writer(path, name, barrier, results):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    barrier.wait()  # both processes reach create() at the same moment
    try:
        with fd.DatasetWriter.create(path, SHAPE, params={"job": name}, stage="race") as w:
            for i in range(RECORDS):
                w.append(f"{name}/{i}.jpg", rng.integers(0, 256, SHAPE + (3,), dtype=np.uint8),
                         np.zeros((68, 2), np.float32), np.zeros(4, np.float32), np.zeros(3, np.float32))
        results[name] = "ok"
    except fn.DatasetError as e:
        results[name] = f"refused: {e}"
    except BaseException as e:  # anything else is a failure of the protocol
        results[name] = f"crash: {type(e).__name__}: {e}"


def test_thirty_racing_pairs_end_with_one_dataset_and_one_refusal(tmp_path):
    ctx = mp.get_context("fork")
    manager = ctx.Manager()
    for trial in range(30):
        path = str(tmp_path / f"race{trial}.h5")
        barrier, results = ctx.Barrier(2), manager.dict()
        procs = [ctx.Process(target=_writer, args=(path, name, barrier, results)) for name in ("a", "b")]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        outcome = sorted(results.values())
        assert len(outcome) == 2 and outcome[0] == "ok" and outcome[1].startswith("refused:"), outcome
        assert "another facenorm job" in outcome[1] or "already exists" in outcome[1]
        winner = next(k for k, v in results.items() if v == "ok")
        with fd.Dataset.open(path) as ds:
            assert len(ds) == RECORDS
            assert {r["source"] for r in ds.records} == {f"{winner}/{i}.jpg" for i in range(RECORDS)}


def test_a_held_lock_refuses_open_and_is_released_on_close(tmp_path):
    path = tmp_path / "set.h5"
    writer = fd.DatasetWriter.create(path, SHAPE)
    with pytest.raises(fn.DatasetError, match="another facenorm job"):
        fd.DatasetWriter.open(path)
    writer.close()
    fd.DatasetWriter.open(path).close()  # free again
