"""Packs facenorm into a wheel; everything but the two steps below is in pyproject.toml.

- build_ext does not compile on its own: it runs scripts/build.sh for the two modules (_core,
  _nets) in the shared, flock-protected build/ folder, then copies the built modules into the
  wheel. A second `pip install --no-build-isolation .` recompiles nothing that is up to date.
- build_py copies the models that git tracks under models/ (the shipped trained models, their
  cards and calibrations, models/MANIFEST) into facenorm/_models/, where facenorm.models finds
  them; dlib's downloaded files stay out (fetch-models puts them in the user data directory).

setuptools' own scratch folders are a fresh temporary folder per run, so two pip runs never
write over each other's half-built files.
"""
import atexit
import fcntl
import fnmatch
import os
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
MODELS = ROOT / "models"
PACKAGE_MODELS = "_models"  # facenorm/_models in the wheel (facenorm.models._INSTALLED_MODELS)


def copy_atomically(src: Path, dst: Path) -> None:
    """dst appears whole or not at all (a copy under a temporary name, then a rename)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
        shutil.copymode(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class ModulesFromSharedBuild(build_ext):
    """Builds _core and _nets with scripts/build.sh (build/, reused between runs) and copies them."""

    def build_extensions(self):
        subprocess.check_call(["bash", str(ROOT / "scripts" / "build.sh"),
                               *[ext.name.rsplit(".", 1)[1] for ext in self.extensions]])
        # Copy under build.sh's lock: while we hold it no build is relinking the modules.
        with open(ROOT / "build" / ".build.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for ext in self.extensions:
                dst = Path(self.get_ext_fullpath(ext.name)).resolve()
                src = (ROOT / "python" / Path(*ext.name.split("."))).with_name(dst.name)
                if not src.is_file():
                    built = sorted(p.name for p in src.parent.glob(ext.name.rsplit(".", 1)[1] + ".*.so"))
                    raise SystemExit(
                        f"facenorm: {src} was not built; build/ makes modules for the Python it was "
                        f"configured with ({', '.join(built) or 'none yet'}), this pip runs "
                        f"{sysconfig.get_config_var('EXT_SUFFIX')}: install with /usr/bin/python3 or a venv "
                        "made from it (README)")
                if src != dst:  # an editable install builds in place
                    copy_atomically(src, dst)


def shipped_model_files() -> list:
    """Paths relative to models/ of the files the wheel carries: what git tracks there; without
    git (an unpacked archive) every file but those .gitignore's models/ lines keep out."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", "models"], cwd=ROOT, check=True,
                             capture_output=True).stdout.decode()
        tracked = [Path(p).relative_to("models") for p in out.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        tracked = []
    if tracked:
        return [f for f in tracked if (MODELS / f).is_file()]
    gitignore = ROOT / ".gitignore"
    lines = gitignore.read_text().splitlines() if gitignore.is_file() else []
    patterns = [line.strip()[len("models/"):].rstrip("/") for line in lines if line.strip().startswith("models/")]

    def ignored(rel: Path) -> bool:
        return any(fnmatch.fnmatch(str(part), pat) for part in (rel, *rel.parents) for pat in patterns)

    files = (p.relative_to(MODELS) for p in sorted(MODELS.rglob("*")) if p.is_file())
    return [rel for rel in files if not ignored(rel)]


class BuildPyWithModels(build_py):
    """Copies the shipped models into facenorm/_models (not for an editable install: a source
    checkout reads models/ itself)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "facenorm" / PACKAGE_MODELS
        files = shipped_model_files()
        if Path("MANIFEST") not in files:
            raise SystemExit(f"facenorm: {MODELS / 'MANIFEST'} is missing; the models cannot be packaged")
        for rel in files:
            copy_atomically(MODELS / rel, target / rel)


# setuptools' build/lib and build/bdist scratch: private to this run (build/ is CMake's).
_scratch = tempfile.mkdtemp(prefix="facenorm-setuptools-")
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)

setup(ext_modules=[Extension("facenorm._core", sources=[]), Extension("facenorm._nets", sources=[])],
      cmdclass={"build_ext": ModulesFromSharedBuild, "build_py": BuildPyWithModels},
      options={"build": {"build_base": _scratch}})
