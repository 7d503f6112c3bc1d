"""facenorm as a researcher installs it (issue 19): a wheel built with `pip wheel
--no-build-isolation --no-deps`, installed into a fresh venv (--system-site-packages, for
Debian's numpy and torch), every command run from a folder outside the source tree with no
PYTHONPATH, and the notebooks in a Jupyter kernel whose Python is the venv's."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from notebook_runner import NEEDS_SHARED_DATA, OUTPUTS, ROOT, SHARED, run_notebook

from facenorm import models
from facenorm.cli.main import COMMAND_MODULES

# facenorm's own models the wheel must carry (facenorm/_models/...), each a default of some command.
SHIPPED = ["MANIFEST", "normal_face_model.npz", "anomaly_padim/model.json", "anomaly_padim/calibration.json",
           "lip_classifier/model.json", "landmark_refiner/model.json", "landmark_refiner_synthetic/model.json",
           "landmark_fcn/model.json", "palsy_parsing/model.json", "palsy_assessment/model.json"]
MAX_WHEEL_MB = 60


def run(*args, check=True, **kw):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n"
                             f"{proc.stderr[-4000:]}")
    return proc


class Installed:
    """The wheel, the venv it is installed in, and how to run its `facenorm` from elsewhere."""

    def __init__(self, work: Path):
        self.work = work
        wheels = work / "wheels"
        run(sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
            "-w", wheels, ROOT)
        self.wheel, = wheels.glob("facenorm-*.whl")
        # No PYTHONPATH (the tests' points at the source tree, whose egg-info pip would take for
        # an installed facenorm) and no $FACENORM_MODELS: a researcher's shell.
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FACENORM_MODELS")}
        self.env["XDG_DATA_HOME"] = str(work / "xdg")
        self.venv = work / "venv"
        run(sys.executable, "-m", "venv", "--system-site-packages", self.venv, env=self.env)
        self.python = self.venv / "bin" / "python"
        run(self.python, "-m", "pip", "install", "--no-deps", "--no-index", self.wheel, env=self.env)
        # The user data directory, as fetch-models would fill it: dlib's bundle, which the wheel
        # does not carry, linked from the source tree's verified copies where there are any.
        self.user_models = work / "xdg" / "facenorm" / "models"
        self.user_models.mkdir(parents=True)
        self.bundle_missing = []
        for row in models.list_models():
            if row["path"] is None:
                self.bundle_missing.append(row["name"])
            elif not any(Path(p) == row["path"] for p in models.system_paths(row)):
                (self.user_models / row["file"]).symlink_to(row["path"])
        self.cwd = work / "elsewhere"
        self.cwd.mkdir()

    def facenorm(self, *args, check=True, env=None):
        return run(self.venv / "bin" / "facenorm", *args, check=check, cwd=self.cwd, env=env or self.env)

    def json(self, *args):
        return json.loads(self.facenorm(*args, "--json").stdout)

    def needs_bundle(self):
        if self.bundle_missing:
            pytest.skip(f"dlib model bundle not fetched ({', '.join(self.bundle_missing)}): "
                        f"run {models.FETCH_COMMAND}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    return Installed(tmp_path_factory.mktemp("installed"))


def test_the_wheel_carries_the_models_and_both_modules(installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    for rel in SHIPPED:
        assert f"facenorm/_models/{rel}" in names, f"the wheel lacks models/{rel}"
    for module in ("_core", "_nets"):
        assert any(n.startswith(f"facenorm/{module}.") and n.endswith(".so") for n in names), module
    assert not [n for n in names if n.endswith((".dat", ".dnn"))], "dlib's bundle is fetched, not shipped"
    assert installed.wheel.stat().st_size < MAX_WHEEL_MB * 2**20


def test_the_venv_imports_the_installed_package(installed):
    code = "import facenorm, facenorm.models as m; print(facenorm.__file__); print(m.search_path()[0])"
    where, first = run(installed.python, "-c", code, cwd=installed.cwd, env=installed.env).stdout.split()
    site = installed.venv / "lib"
    assert Path(where).is_relative_to(site) and Path(first).is_relative_to(site), (where, first)
    assert not Path(where).is_relative_to(ROOT)


def test_every_command_has_help(installed):
    listed = installed.facenorm("--help").stdout
    commands = [m.replace("_", "-") for m in COMMAND_MODULES]
    assert [c for c in commands if c not in listed] == []
    for command in commands:
        assert "usage: facenorm" in installed.facenorm(command, "--help").stdout, command


def test_fetch_models_writes_to_the_user_data_directory(installed):
    assert str(installed.user_models) in "".join(installed.facenorm("fetch-models", "--help").stdout.split())
    installed.needs_bundle()
    rows = installed.json("fetch-models", "--check")["models"]
    assert {r["status"] for r in rows} == {"ok"}, rows


def test_landmarks(installed, astronaut_path):
    face, = installed.json("landmarks", astronaut_path)["images"][0]["faces"]
    assert len(face["landmarks"]) == 68


def test_landmarks_with_the_cnn_detector(installed, astronaut_path):
    installed.needs_bundle()
    face, = installed.json("landmarks", astronaut_path, "--detector", "cnn")["images"][0]["faces"]
    assert len(face["landmarks"]) == 68


def test_classify(installed, astronaut_path):
    installed.needs_bundle()
    out = installed.json("classify", astronaut_path)
    assert Path(out["model"]).is_relative_to(installed.venv)
    assert out["images"][0]["error"] is None and 0 <= out["images"][0]["p_abnormal"] <= 1


def test_palsy(installed, astronaut_path):
    out = installed.json("palsy", astronaut_path)
    image, = out["images"]
    assert image["error"] is None and 0 <= image["assessment"]["p_palsy"] <= 1


def test_score(installed, astronaut_path):
    installed.needs_bundle()
    out = installed.json("score", astronaut_path)
    assert out["normalizer"] == "map-inpaint" and 0 <= out["normality"] <= 100


def test_demo(installed, astronaut_path):
    installed.needs_bundle()
    out = installed.json("demo", astronaut_path, "--out", installed.work / "demo")
    assert Path(out["report"]).stat().st_size > 1000


def test_a_missing_model_names_every_folder_searched(installed, astronaut_path):
    env = dict(installed.env, XDG_DATA_HOME=str(installed.work / "empty"))
    proc = installed.facenorm("score", astronaut_path, "--json", check=False, env=env)
    assert proc.returncode == 1
    error = json.loads(proc.stdout)["error"]
    assert str(installed.venv) in error and str(installed.work / "empty" / "facenorm" / "models") in error
    assert models.FETCH_COMMAND in error


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_notebook_runs_in_the_venvs_kernel(installed, tmp_path, name):
    pytest.importorskip("nbclient", reason="python3-nbclient is not installed (bash scripts/install_deps.sh)")
    if name in NEEDS_SHARED_DATA and not (SHARED / "data").is_dir():
        pytest.skip(f"{name} needs the faces of {SHARED / 'data'}")
    if name != "quickstart.ipynb":
        installed.needs_bundle()
    imported, _ = run_notebook(name, tmp_path, installed.env, python=str(installed.python))
    assert imported.is_relative_to(installed.venv), f"the kernel imported {imported}, not the venv's facenorm"
