"""Issue 19: one face policy for every command that measures faces (item 5), the --json contract
on every failure with outputs checked before any work (item 3), and inputs taken alike (item 6)."""
import json

import numpy as np
import pytest

from cli_runner import facenorm

# the keys bare `facenorm score IMG --json` printed before --policy (measured externally: only add keys)
SCORE_KEYS = {"score", "normality", "region", "normalizer", "normality_among", "anomaly", "evidence", "peak",
              "region_heat", "inpainted"}


@pytest.fixture(scope="module")
def two_faces(astronaut_path, tmp_path_factory):
    """The astronaut beside her mirror image: a photo with several faces."""
    import facenorm as fn
    image = fn.read_image(astronaut_path)
    path = tmp_path_factory.mktemp("faces") / "two.png"
    fn.write_image(str(path), np.ascontiguousarray(np.hstack([image, image[:, ::-1]])))
    return str(path)


def run_json(*args):
    proc = facenorm(*args, "--json", check=False)
    return proc.returncode, json.loads(proc.stdout), proc


def test_score_policy(astronaut_path, two_faces, tmp_path):
    rc, doc, _ = run_json("score", astronaut_path)
    assert rc == 0 and SCORE_KEYS <= set(doc)
    assert doc["faces_found"] == 1 and doc["face_index"] == 0 and len(doc["box"]) == 4 and "faces" not in doc
    rc, doc, _ = run_json("score", two_faces, "--policy", "all", "--heatmap", str(tmp_path / "h.png"))
    assert rc == 0 and SCORE_KEYS <= set(doc) and doc["faces_found"] >= 2
    assert [f["face_index"] for f in doc["faces"]] == list(range(doc["faces_found"]))
    assert len({tuple(f["box"]) for f in doc["faces"]}) == doc["faces_found"]
    assert all(SCORE_KEYS <= set(f) for f in doc["faces"])
    assert (tmp_path / "h.png").is_file() and (tmp_path / "h_face1.png").is_file()
    rc, doc, _ = run_json("score", two_faces, "--policy", "error")
    assert rc == 1 and doc["error_type"] == "MultipleFacesError" and "found" in doc["error"]
    rc, doc, _ = run_json("score", two_faces, "--policy", "all", "--landmarks", str(tmp_path / "x.npy"))
    assert rc == 2 and doc["error_type"] == "UsageError"


def test_classify_and_palsy_policy(astronaut_path, two_faces, tmp_path):
    for command in ("classify", "palsy"):
        rc, doc, _ = run_json(command, two_faces, astronaut_path)
        assert rc == 0 and doc["policy"] == "largest"
        two, one = doc["images"]
        assert two["faces_found"] >= 2 and two["face_index"] == 0 and "faces" not in two
        assert one["faces_found"] == 1 and len(one["box"]) == 4
        largest = two
        rc, doc, _ = run_json(command, two_faces, "--policy", "all")
        row = doc["images"][0]
        assert rc == 0 and len(row["faces"]) == row["faces_found"] >= 2
        assert [f["face_index"] for f in row["faces"]] == list(range(row["faces_found"]))
        key = "p_abnormal" if command == "classify" else "measures"
        assert all(f[key] is not None for f in row["faces"])
        assert row["faces"][0]["box"] == row["box"] and largest[key] is not None
        rc, doc, _ = run_json(command, two_faces, astronaut_path, "--policy", "error")
        bad, good = doc["images"]
        assert rc == 0 and "found" in bad["error"] and good["error"] is None
        rc, doc, _ = run_json(command, two_faces, "--policy", "error")
        assert rc == 1
    facenorm("palsy", two_faces, "--policy", "all", "--csv", str(tmp_path / "p.csv"), "--draw", str(tmp_path / "d"))
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0].endswith(",face_index") and len(lines) >= 3
    assert (tmp_path / "d" / "two_face1_palsy.png").is_file()
