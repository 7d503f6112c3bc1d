"""Model manifest, search path, checksum checks and the fetch step, all without the network.

The fetch's apt download is replaced by a fake here; the tarball handling runs for real on a
small tarball the tests build. The real download is run by hand (docs/models.md).
"""
import bz2
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import pytest

import facenorm
from facenorm import models
from facenorm.cli import fetch_models
from facenorm.model_fetch import apt_source, fetcher, tarball
from facenorm.cli.main import main

BUNDLE = ["mmod_human_face_detector", "shape_predictor_5_face_landmarks",
          "dlib_face_recognition_resnet_model_v1", "resnet34_1000_imagenet_classifier"]
TARBALL = "toy_1.0.orig-models.tar.bz2"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# The real manifest


def test_manifest_is_well_formed():
    entries = models.read_manifest()
    assert set(BUNDLE + ["shape_predictor_68_face_landmarks"]) <= set(entries)
    for name, e in entries.items():
        assert re.fullmatch(r"[0-9a-f]{64}", e["sha256"]), name
        assert Path(e["file"]).stem == name, "names are the file stems"
        assert e["licence"]
        kinds = [s.kind for s in models.sources_of(e)]
        assert kinds and set(kinds) <= {"deb", "debsrc"}


def test_manifest_keeps_the_libdlib_data_row():
    e = models.read_manifest()["shape_predictor_68_face_landmarks"]
    assert models.system_paths(e) == [Path("/usr/share/dlib/shape_predictor_68_face_landmarks.dat")]
    assert e["sha256"] == "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f"


@pytest.mark.parametrize("line, message", [
    ("a a.dat deb:p:/x", "5 columns"),
    ("a a.dat deb:p:/x " + "A" * 64 + " CC0", "64 lowercase hex"),
    ("a a.dat deb:p:/x " + "0" * 63 + " CC0", "64 lowercase hex"),
    ("a a.dat http://x " + "0" * 64 + " CC0", "bad model source"),
    ("a a.dat debsrc:p:t.tar " + "0" * 64 + " CC0", "bad model source"),
    ("a sub/a.dat deb:p:/x " + "0" * 64 + " CC0", "bare file name"),
])
def test_bad_manifest_rows_are_rejected(tmp_path, line, message):
    manifest = tmp_path / "MANIFEST"
    manifest.write_text("# comment\n" + line + "\n")
    with pytest.raises(facenorm.ModelError, match=message):
        models.read_manifest(manifest)


def test_model_error_is_a_runtime_error():
    assert issubclass(facenorm.ModelError, RuntimeError)


def test_unknown_name_lists_the_known_models():
    with pytest.raises(facenorm.ModelError) as info:
        models.resolve("no_such_model")
    assert "unknown model 'no_such_model'" in str(info.value)
    assert "shape_predictor_68_face_landmarks" in str(info.value)
    assert "mmod_human_face_detector" in str(info.value)


def test_corrupt_copy_first_on_the_search_path_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("FACENORM_MODELS", str(tmp_path))
    (tmp_path / "shape_predictor_68_face_landmarks.dat").write_bytes(b"not a dlib model")
    assert models.search_path()[0] == tmp_path
    with pytest.raises(facenorm.ModelError) as info:
        models.resolve("shape_predictor_68_face_landmarks")
    message = str(info.value)
    assert "checksum mismatch" in message and "fetch-models" in message
    assert str(tmp_path) in message


def test_missing_model_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "search_path", lambda: [tmp_path])
    with pytest.raises(facenorm.ModelError) as info:
        models.resolve("mmod_human_face_detector")
    assert "not found" in str(info.value) and models.FETCH_COMMAND in str(info.value)


def test_the_68_point_model_resolves():
    entry = models.read_manifest()["shape_predictor_68_face_landmarks"]
    if not any(p.is_file() for p in models.candidates(entry)):
        pytest.skip("shape_predictor_68_face_landmarks.dat not installed (libdlib-data)")
    path = models.resolve("shape_predictor_68_face_landmarks")
    assert models.cached_sha256(path) == entry["sha256"]


@pytest.mark.parametrize("name", BUNDLE)
def test_bundle_model_resolves_when_fetched(name):
    entry = models.read_manifest()[name]
    if not any(p.is_file() for p in models.candidates(entry)):
        pytest.skip(f"{entry['file']} not fetched (run: {models.FETCH_COMMAND})")
    assert models.resolve(name).name == entry["file"]


# ---------------------------------------------------------------------------------------------
# A toy manifest: resolution and fetch on files the tests make

TINY = b"tiny model bytes\n" * 100
PACKED = b"a model stored bz2-compressed inside the tarball\n" * 50
SYSTEM = b"a model a binary package installs\n"


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A manifest of three toy models, searched only in tmp dirs, with a tarball in a cache."""
    system = tmp_path / "usr-share"
    system.mkdir()
    (system / "sys_model.dat").write_bytes(SYSTEM)
    member = "toy-models-1.0/"
    manifest = tmp_path / "MANIFEST"
    manifest.write_text("\n".join([
        "# toy manifest",
        f"tiny tiny.dat debsrc:toy:{TARBALL}:{member}tiny.dat {sha(TINY)} CC0-1.0",
        f"packed packed.dat debsrc:toy:{TARBALL}:{member}packed.dat.bz2 {sha(PACKED)} CC0-1.0",
        f"sys_model sys_model.dat deb:toy-data:{system}/sys_model.dat,"
        f"debsrc:toy:{TARBALL}:{member}sys_model.dat {sha(SYSTEM)} non-commercial",
        "",
    ]))
    search = tmp_path / "models"
    search.mkdir()
    monkeypatch.setattr(models, "manifest_path", lambda: manifest)
    monkeypatch.setattr(models, "search_path", lambda: [search])
    cache = tmp_path / "cache"
    cache.mkdir()
    tar_bytes = make_tarball({member + "tiny.dat": TINY, member + "packed.dat.bz2": bz2.compress(PACKED),
                              member + "sys_model.dat": SYSTEM, member + "README": b"readme"})
    (cache / TARBALL).write_bytes(tar_bytes)
    write_dsc(cache, tar_bytes)

    class Toy:
        pass

    t = Toy()
    t.tmp, t.system, t.models, t.cache, t.tar_bytes = tmp_path, system, search, cache, tar_bytes
    t.entries = models.read_manifest()
    return t


def make_tarball(members: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:bz2") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_dsc(directory: Path, tar_bytes: bytes) -> None:
    (directory / "toy_1.0-1.dsc").write_text(
        "Format: 3.0 (quilt)\nSource: toy\nChecksums-Sha256:\n"
        f" {sha(tar_bytes)} {len(tar_bytes)} {TARBALL}\n"
        "Files:\n d41d8cd98f00b204e9800998ecf8427e 0 other\n")


class FakeApt:
    """Stands in for AptSource: records calls and 'downloads' a given tarball without the network."""

    def __init__(self, tar_bytes=None):
        self.tar_bytes, self.calls = tar_bytes, []

    def download_source(self, package, into):
        self.calls.append(package)
        if self.tar_bytes is None:
            raise facenorm.ModelError("no network in the tests")
        (into / TARBALL).write_bytes(self.tar_bytes)
        write_dsc(into, self.tar_bytes)


def by_name(results):
    return {r["name"]: r for r in results}


def test_a_good_model_resolves(toy):
    (toy.models / "tiny.dat").write_bytes(TINY)
    assert models.resolve("tiny") == toy.models / "tiny.dat"


def test_deb_rows_fall_back_to_the_system_path(toy):
    assert models.resolve("sys_model") == toy.system / "sys_model.dat"


def test_checksum_is_computed_once_per_file_version(toy, monkeypatch):
    path = toy.models / "tiny.dat"
    path.write_bytes(TINY)
    calls = []
    real = models.sha256_of
    monkeypatch.setattr(models, "sha256_of", lambda p: calls.append(p) or real(p))
    models.resolve("tiny")
    models.resolve("tiny")
    assert len(calls) == 1
    path.write_bytes(TINY + b"changed")
    with pytest.raises(facenorm.ModelError, match="fetch-models"):
        models.resolve("tiny")
    assert len(calls) == 2


def test_verify_false_skips_the_checksum(toy):
    (toy.models / "tiny.dat").write_bytes(b"wrong")
    assert models.resolve("tiny", verify=False) == toy.models / "tiny.dat"


def test_list_models_gives_path_or_none(toy):
    (toy.models / "tiny.dat").write_bytes(TINY)
    rows = {r["name"]: r for r in models.list_models()}
    assert rows["tiny"]["path"] == toy.models / "tiny.dat" and rows["tiny"]["error"] is None
    assert rows["packed"]["path"] is None and "fetch-models" in rows["packed"]["error"]
    assert rows["sys_model"]["path"] == toy.system / "sys_model.dat"
    assert set(rows["tiny"]) >= {"name", "file", "source", "sha256", "licence", "path", "error"}


def test_fetch_extracts_decompresses_and_is_idempotent(toy, monkeypatch):
    dest = toy.tmp / "dest"
    apt = FakeApt()
    results = by_name(fetcher.fetch(toy.entries, dest, toy.cache, apt))
    assert apt.calls == [], "the cached tarball is vouched for by the cached .dsc"
    assert results["tiny"]["status"] == "fetched" and (dest / "tiny.dat").read_bytes() == TINY
    assert results["packed"]["status"] == "fetched" and (dest / "packed.dat").read_bytes() == PACKED
    assert results["packed"]["sha256"] == sha(PACKED) and results["packed"]["size"] == len(PACKED)
    assert results["sys_model"]["status"] == "ok" and results["sys_model"]["path"] == str(toy.system / "sys_model.dat")
    assert not list(dest.glob(".*.part")), "no temp files left behind"

    # Second run: everything in place, the tarball is not even opened.
    monkeypatch.setattr(fetcher, "extract_members", lambda *a: pytest.fail("re-extracted"))
    again = by_name(fetcher.fetch(toy.entries, dest, toy.cache, apt))
    assert {r["status"] for r in again.values()} == {"ok"}


def test_fetch_works_with_pythons_bz2_too(toy, monkeypatch):
    monkeypatch.setattr(tarball.shutil, "which", lambda name: None)
    results = by_name(fetcher.fetch(toy.entries, toy.tmp / "dest", toy.cache, FakeApt()))
    assert results["packed"]["status"] == "fetched"


def test_fetch_replaces_a_corrupt_file(toy):
    dest = toy.tmp / "dest"
    dest.mkdir()
    (dest / "tiny.dat").write_bytes(b"corrupt")
    results = by_name(fetcher.fetch({"tiny": toy.entries["tiny"]}, dest, toy.cache, FakeApt()))
    assert results["tiny"]["status"] == "fetched" and (dest / "tiny.dat").read_bytes() == TINY


def test_fetch_gets_a_deb_model_from_the_bundle_when_the_package_is_missing(toy):
    (toy.system / "sys_model.dat").unlink()
    dest = toy.tmp / "dest"
    results = by_name(fetcher.fetch({"sys_model": toy.entries["sys_model"]}, dest, toy.cache, FakeApt()))
    assert results["sys_model"]["status"] == "fetched" and (dest / "sys_model.dat").read_bytes() == SYSTEM


def test_a_deb_only_model_that_is_missing_names_the_package(toy, tmp_path):
    entry = dict(toy.entries["sys_model"], source=f"deb:toy-data:{tmp_path}/nowhere.dat")
    results = fetcher.fetch({"sys_model": entry}, tmp_path / "dest", toy.cache, FakeApt())
    assert results[0]["status"] == "missing" and "toy-data" in results[0]["error"]


def test_a_member_with_the_wrong_checksum_is_not_installed(toy):
    entry = dict(toy.entries["tiny"], sha256="0" * 64)
    dest = toy.tmp / "dest"
    dest.mkdir()
    (dest / "tiny.dat").write_bytes(b"old file")
    results = fetcher.fetch({"tiny": entry}, dest, toy.cache, FakeApt())
    assert results[0]["status"] == "error" and "expects" in results[0]["error"]
    assert (dest / "tiny.dat").read_bytes() == b"old file", "a bad download never replaces a file"
    assert not list(dest.glob(".*.part"))


def test_an_unvouched_cached_tarball_is_downloaded_again(toy):
    (toy.cache / TARBALL).write_bytes(toy.tar_bytes[:100])  # a truncated earlier download
    apt = FakeApt(toy.tar_bytes)
    results = by_name(fetcher.fetch(toy.entries, toy.tmp / "dest", toy.cache, apt))
    assert apt.calls == ["toy"]
    assert results["tiny"]["status"] == "fetched"
    assert (toy.cache / TARBALL).read_bytes() == toy.tar_bytes
    assert not list(toy.cache.glob(".download-*"))


def test_a_failed_download_is_reported_per_model(toy):
    (toy.cache / TARBALL).unlink()
    results = by_name(fetcher.fetch(toy.entries, toy.tmp / "dest", toy.cache, FakeApt(None)))
    assert results["tiny"]["status"] == "error" and "no network" in results["tiny"]["error"]
    assert results["sys_model"]["status"] == "ok"


def test_fetch_into_an_unwritable_place_is_a_clear_error(toy, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(facenorm.ModelError, match="--dest"):
        fetcher.fetch(toy.entries, blocker / "models", toy.cache, FakeApt())


def test_cli_check_prints_one_json_document(toy, capsys):
    (toy.models / "tiny.dat").write_bytes(TINY)
    code = main(["fetch-models", "--check", "--json"])
    doc = json.loads(capsys.readouterr().out)
    rows = by_name(doc["models"])
    assert code == 1  # "packed" is missing
    assert rows["tiny"]["status"] == "ok" and rows["tiny"]["sha256"] == sha(TINY)
    assert rows["packed"]["status"] == "missing" and rows["packed"]["path"] is None
    for row in doc["models"]:
        assert {"name", "path", "sha256", "status", "error"} <= set(row)


def test_cli_fetch_into_dest(toy, capsys, monkeypatch):
    monkeypatch.setattr(fetch_models, "AptSource", lambda *a, **k: FakeApt())
    dest = toy.tmp / "dest"
    code = main(["fetch-models", "--dest", str(dest), "--cache-dir", str(toy.cache), "--json", "tiny"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and [r["name"] for r in doc["models"]] == ["tiny"]
    assert doc["models"][0]["status"] == "fetched"


def test_cli_unknown_model_is_an_error(toy, capsys):
    assert main(["fetch-models", "--check", "--json", "nope"]) == 1
    assert "unknown model" in json.loads(capsys.readouterr().out)["error"]


# ---------------------------------------------------------------------------------------------
# apt: the private configuration (nothing here runs apt)


def test_apt_uses_only_private_lists(tmp_path):
    apt = apt_source.AptSource(tmp_path, mirror="http://mirror.example/debian", suite="bookworm")
    opts = apt.options()
    pairs = dict(o.split("=", 1) for o in opts[1::2])
    assert opts[0::2] == ["-o"] * len(pairs)
    assert pairs["Dir::Etc::SourceList"] == str(tmp_path / "sources.list")
    assert pairs["Dir::Etc::SourceParts"] == "/nonexistent"
    assert pairs["Dir::State::Lists"] == str(tmp_path / "lists")
    assert pairs["Dir::Cache"] == str(tmp_path / "cache")
    line = apt.sources_line()
    assert line.startswith("deb-src ") and line.rstrip().endswith("http://mirror.example/debian bookworm main")


def test_system_mirror_is_read_from_deb822_and_one_line_sources():
    deb822 = ("Types: deb\n# a comment\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\n"
              "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
              "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n")
    entries = list(apt_source._deb822_entries(deb822))
    assert entries[0] == ("http://deb.example/debian", ["bookworm", "bookworm-updates"],
                          "/usr/share/keyrings/debian-archive-keyring.gpg")
    assert entries[1][0] == "http://security.example/debian-security"
    one_line = "deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n# deb http://x y z\n"
    assert list(apt_source._one_line_entries(one_line)) == [("http://m.example/debian", ["bookworm"], "/k.gpg")]


def test_dsc_checksum_lookup(tmp_path):
    write_dsc(tmp_path, b"abc")
    assert fetcher.dsc_sha256(tmp_path, TARBALL) == sha(b"abc")
    assert fetcher.dsc_sha256(tmp_path, "other.tar.bz2") is None


# ---------------------------------------------------------------------------------------------
# facenorm's own models: one search path for the package's copy, $FACENORM_MODELS, the user's

def test_search_path_order_and_the_user_data_directory(tmp_path, monkeypatch):
    mine = tmp_path / "mine"
    monkeypatch.setenv("FACENORM_MODELS", str(mine))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert models.search_path() == [mine, models.package_models(), tmp_path / "xdg" / "facenorm" / "models"]
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert models.user_models() == Path.home() / ".local" / "share" / "facenorm" / "models"


def test_the_source_tree_is_the_package_copy_here(repo_root, monkeypatch):
    monkeypatch.delenv("FACENORM_MODELS", raising=False)
    assert models.package_models() == repo_root / "models"
    assert models.default_dest() == repo_root / "models"
    assert models.model_dir("lip_classifier") == str(repo_root / "models" / "lip_classifier")


def test_a_copy_on_facenorm_models_comes_first(tmp_path, monkeypatch):
    (tmp_path / "lip_classifier").mkdir()
    (tmp_path / "lip_classifier" / "model.json").write_text("{}")
    monkeypatch.setenv("FACENORM_MODELS", str(tmp_path))
    assert models.model_dir("lip_classifier") == str(tmp_path / "lip_classifier")


def test_a_missing_model_folder_names_every_folder_searched(tmp_path, monkeypatch):
    monkeypatch.setenv("FACENORM_MODELS", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert models.find_model_dir("no_such_model") is None
    for find in (models.model_dir, models.model_file):
        with pytest.raises(facenorm.MissingFileError) as info:
            find("no_such_model", "facenorm make-it")
        for folder in models.search_path():
            assert str(folder) in str(info.value)
        assert "facenorm make-it" in str(info.value)
