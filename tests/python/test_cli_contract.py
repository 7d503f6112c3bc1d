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


# ---- item 3: the --json contract on every failure; outputs checked before any work ----

def _refused(args, path_text, tmp_path):
    proc = facenorm(*args, "--json", check=False)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["error_type"] == "OutputPathError" and path_text in doc["error"]
    return doc


def test_unwritable_outputs_refused_before_work(astronaut_path, tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("a regular file\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    under_file = str(plain / "out")
    img = astronaut_path
    cases = [  # (arguments, the output path)
        (["prepare", img, "--out", under_file + ".h5"], under_file),
        (["synth", str(tmp_path / "missing.h5"), "--out", under_file + ".h5"], under_file),
        (["classify", img, "--out", under_file], under_file),
        (["classify", img, "--out", str(plain)], str(plain)),          # a file where a folder is expected
        (["demo", "--out", str(plain)], str(plain)),
        (["demo", "--out", "/proc/facenorm_demo"], "/proc/facenorm_demo"),
        (["palsy", img, "--csv", under_file + ".csv"], under_file),
        (["palsy", img, "--csv", str(folder)], str(folder)),           # a folder where a file is expected
        (["palsy", img, "--draw", under_file], under_file),
        (["score", img, "--heatmap", "/proc/facenorm.png"], "/proc/facenorm.png"),
        (["lip-transform", img, "--out", under_file + ".png"], under_file),
        (["calibrate-score", img, "--out", str(folder)], str(folder)),
        (["train", str(tmp_path / "pairs.h5"), "--out", under_file], under_file),
        (["fetch-models", "--dest", str(plain)], str(plain)),
        (["train-parsing", img, "--out", str(tmp_path / "m"), "--samples", under_file + ".npz"], under_file),
    ]
    for args, path in cases:
        _refused(args, path, tmp_path)
    assert plain.read_text() == "a regular file\n" and list(folder.iterdir()) == []
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob(".*"))


def test_usage_errors_print_json():
    for args in (["classify", "--json"], ["score", "--region", "ear", "x.png", "--json"], ["landmarks", "--bogus", "--json"]):
        proc = facenorm(*args, check=False)
        assert proc.returncode == 2
        doc = json.loads(proc.stdout)
        assert doc["error_type"] == "UsageError" and doc["error"]


def test_atomic_helpers_leave_nothing_on_enospc(tmp_path, monkeypatch):
    import errno
    import os

    from facenorm.files import atomic_folder, atomic_write_text

    target = tmp_path / "table.csv"
    target.write_text("old\n")

    def full(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    from facenorm.files import atomic_write
    with pytest.raises(OSError, match=str(target)) as info:
        atomic_write(target, full)
    assert info.value.errno == errno.ENOSPC
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
    report = tmp_path / "report"
    with atomic_folder(report) as folder:
        atomic_write_text(os.path.join(folder, "a.txt"), "first\n")
    assert (report / "a.txt").read_text() == "first\n"
    with pytest.raises(OSError):
        with atomic_folder(report) as folder:
            atomic_write_text(os.path.join(folder, "b.txt"), "second\n")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert sorted(p.name for p in report.iterdir()) == ["a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report", "table.csv"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs (root only): a full disk for real; skipped where it cannot be mounted."""
    import subprocess
    mount = tmp_path / "tiny"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_full_disk_json_error_and_no_half_outputs(astronaut_path, tiny_disk):
    (tiny_disk / "old.csv").write_text("old\n")
    rc, doc, _ = run_json("demo", "--out", str(tiny_disk / "demo"))
    assert rc == 1 and str(tiny_disk / "demo") in doc["error"]
    with open(tiny_disk / "fill", "wb") as f:  # leave no room for the picture
        f.write(b"\0" * 60000)
    rc, doc, _ = run_json("score", astronaut_path, "--heatmap", str(tiny_disk / "h.png"))
    assert rc == 1 and str(tiny_disk / "h.png") in doc["error"]
    with open(tiny_disk / "fill", "ab") as f:
        try:
            f.write(b"\0" * 8192)
            f.flush()
        except OSError:
            pass
    rc, doc, _ = run_json("palsy", astronaut_path, "--assessment", "none", "--csv", str(tiny_disk / "old.csv"))
    assert rc == 1 and "old.csv" in doc["error"]
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["fill", "old.csv"]
    assert (tiny_disk / "old.csv").read_text() == "old\n"


# ---- item 6: inputs taken alike: files, folders and list files; bad entries reported ----

@pytest.fixture
def photo_folder(astronaut_path, tmp_path):
    """photos/: a.png (the astronaut), bad.png (not an image), gone.png (a dangling symlink);
    list.txt names photos/a.png."""
    import os
    import shutil
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(astronaut_path, photos / "a.png")
    (photos / "bad.png").write_text("not a PNG\n")
    os.symlink(tmp_path / "nowhere.png", photos / "gone.png")
    (tmp_path / "list.txt").write_text("photos/a.png\n")
    return photos


def test_folders_and_lists_alike_with_bad_entries_reported(photo_folder, tmp_path):
    from facenorm.data.inputs import collect_image_paths
    names = [p.rsplit("/", 1)[1] for p in collect_image_paths([photo_folder])]
    assert names == ["a.png", "bad.png", "gone.png"]
    for command in ("classify", "landmarks", "palsy"):
        extra = ["--assessment", "none"] if command == "palsy" else []
        rc, doc, _ = run_json(command, str(photo_folder), *extra)
        rows = {r["path"].rsplit("/", 1)[1]: r for r in doc["images"]}
        assert rc == 0 and sorted(rows) == ["a.png", "bad.png", "gone.png"], command
        assert rows["a.png"]["error"] is None and rows["bad.png"]["error"] and rows["gone.png"]["error"], command
        if command != "palsy":
            rc, doc, _ = run_json(command, str(tmp_path / "list.txt"))
            assert rc == 0 and [r["error"] for r in doc["images"]] == [None], command
    rc, doc, _ = run_json("prepare", str(photo_folder), "--out", str(tmp_path / "faces.h5"))
    assert rc == 0 and doc["written"] == 1 and doc["skipped"] == 2
    from facenorm.data.dataset import Dataset
    with Dataset.open(str(tmp_path / "faces.h5")) as ds:
        sources = sorted(s["source"].rsplit("/", 1)[1] for s in ds.skipped)
    assert sources == ["bad.png", "gone.png"]


def test_unexpected_errors_still_print_one_json_document(monkeypatch, capsys, tmp_path):
    import errno
    import os

    import facenorm.cli.synth as synth
    from facenorm.cli.main import main

    def broken(args):
        raise ValueError("a bug")
    monkeypatch.setattr(synth, "run", broken)
    assert main(["synth", "in.h5", "--out", str(tmp_path / "o.h5"), "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"error": "a bug", "error_type": "ValueError"} and "Traceback" in captured.err

    def full(args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), args.out)
    monkeypatch.setattr(synth, "run", full)
    assert main(["synth", "in.h5", "--out", str(tmp_path / "o.h5"), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["error_type"] == "OSError" and "o.h5" in doc["error"]
