"""`facenorm lip-dataset` with UTKFace's faces of every age and the cleft kinds: the age_group
column read from the file names, cleft copies carrying their drawn kind, side and severity, the
held-out files only in test, no face in two splits, per-kind and per-age test subsets, and the
options that are refused."""
import json
import os

import numpy as np
import pytest

import facenorm as fn
from facenorm.appraisal.normal_faces import age_group, is_held_out, utkface_age
from facenorm.cli.main import main as cli_main
from facenorm.lipdetect.lip_dataset import build_lip_dataset
from facenorm.lipdetect.lip_pairs import LipPairs
from test_lip_pairs import write_fake_pairs

AGES = (1, 4, 8, 15, 30, 70)   # one face of each age group, held out or not


def _pick(names, held_out: bool) -> list:
    picked = []
    for age in AGES:
        match = [n for n in names if utkface_age(n) == age and is_held_out(n) == held_out]
        picked += match[:1]
    return picked


@pytest.fixture(scope="module")
def utk_folder(shared_data, tmp_path_factory):
    source = shared_data / "utkface" / "images"
    if not source.is_dir():
        pytest.skip("UTKFace missing under ../shared/data")
    names = sorted(n for n in os.listdir(source) if utkface_age(n) is not None)
    folder = tmp_path_factory.mktemp("utkface")
    for name in _pick(names, False)[:4] + _pick(names, True)[:3]:
        os.symlink(source / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def built(utk_folder, shared_data, tmp_path_factory):
    celeba = sorted((shared_data / "celebamask" / "train" / "images").glob("*.jpg"))[:2]
    work = tmp_path_factory.mktemp("lip_ages")
    summary = build_lip_dataset([str(p) for p in celeba], work, method="lt-v2,cleft", normalizer="none",
                                utkface=utk_folder, pose_filter=False, progress=False, seed=3)
    return summary


def _records(path):
    with LipPairs.open(path) as p:
        return [p.record(i) for i in range(len(p))], p.subsets()


def test_age_group_is_read_from_utkface_names(built):
    records, subsets = _records(built["pairs"])
    for r in records:
        photo = r["params"]["photo"]
        age = utkface_age(photo) if "utkface" in photo else None
        assert r["age_group"] == (age_group(age) if age is not None else "adult")
    assert {r["age_group"] for r in records} > {"adult"}
    assert any(k.startswith("test_age_") for k in subsets) and "test_children" in subsets


def test_copies_carry_their_drawn_method_and_cleft_parameters(built):
    records, _ = _records(built["pairs"])
    copies = [r for r in records if r["params"]["label"] == 1]
    assert {r["params"]["method"] for r in copies} <= {"lt-v2", "cleft"} and copies
    for r in copies:
        if r["params"]["method"] == "cleft":
            c = r["params"]["cleft"]
            assert r["group"] == f"cleft_{c['kind']}" and c["side"] in ("left", "right", "both")
            assert 0.4 <= r["params"]["severity"] <= 1.0 and isinstance(r["params"]["seed"], int)
        else:
            assert r["group"] == "lt-v2" and r["params"]["template"]


def test_a_face_is_never_in_two_splits_and_held_out_files_are_test(built):
    records, _ = _records(built["pairs"])
    splits = {}
    for r in records:
        splits.setdefault(r["params"]["photo"], set()).add(r["split"])
    assert all(len(s) == 1 for s in splits.values())
    for photo, s in splits.items():
        if utkface_age(photo) is not None and "utkface" in photo:
            assert s == ({"test"} if is_held_out(photo) else s - {"test"})


def test_kind_and_age_subsets_of_a_small_file(tmp_path):
    sources = [{"abnormal_only": False, "tag": ""}]
    rows = [("train", 0, "0-2", 0), ("train", 1, "0-2", 0), ("dev", 0, "18-59", 0), ("dev", 1, "18-59", 0),
            ("test", 0, "3-5", 0), ("test", 1, "3-5", 0), ("test", 0, "adult", 0), ("test", 1, "adult", 0)]
    write_fake_pairs(tmp_path / "p.h5", rows, sources)
    with LipPairs.open(tmp_path / "p.h5") as p:
        subsets = {k: v.tolist() for k, v in p.subsets().items()}
        assert subsets["test_children"] == [4] and subsets["test_adults"] == [6]
        assert subsets["test_age_3-5"] == [4, 5] and "test_age_0-2" not in subsets
        without = p.subsets(exclude_children=True)
        assert without["train"].tolist() == [] and without["dev"].tolist() == [2, 3]


@pytest.mark.parametrize("changes, error, match", [
    ({"method": "lt-v2,lt-v3"}, fn.InputError, "lt-v3"),
    ({"method": "cleft,cleft"}, fn.InputError, "each name once"),
    ({"cleft_severity": (0.0, 1.0)}, fn.InputError, "cleft severity"),
    ({"utkface": "/nonexistent/utkface"}, fn.MissingFileError, "UTKFace"),
    ({"utkface_per_group": 0}, fn.InputError, "per age group"),
])
def test_bad_options_are_refused(utk_folder, tmp_path, changes, error, match):
    args = dict(control_inputs=[str(utk_folder)], work_dir=tmp_path, utkface=utk_folder, progress=False)
    with pytest.raises(error, match=match):
        build_lip_dataset(**{**args, **changes})


def test_cli_refuses_a_bad_severity_range(utk_folder, tmp_path, capsys):
    assert cli_main(["lip-dataset", str(utk_folder), "--out", str(tmp_path), "--cleft-severity", "high",
                     "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error_type"] == "InputError"
