"""Builds facenorm._core with CMake; everything else is in pyproject.toml."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    """Configures and builds only the Python module, reusing build/pip between runs."""

    def build_extension(self, ext):
        out_dir = Path(self.get_ext_fullpath(ext.name)).resolve().parent
        build_dir = ROOT / "build" / "pip"
        build_dir.mkdir(parents=True, exist_ok=True)
        subprocess.check_call([
            "cmake", str(ROOT), "-DCMAKE_BUILD_TYPE=Release",
            "-DFACENORM_BUILD_TESTS=OFF", "-DFACENORM_BUILD_BENCH=OFF",
            f"-DFACENORM_PYTHON_EXECUTABLE={sys.executable}",
            f"-DFACENORM_MODULE_OUTPUT_DIR={out_dir}",
        ], cwd=build_dir)
        jobs = os.environ.get("FACENORM_BUILD_JOBS", "2")
        subprocess.check_call(["cmake", "--build", str(build_dir), "--target", "_core", "_nets", "-j", jobs])


class BuildPyWithManifest(build_py):
    """Ships models/MANIFEST inside the package so an installed facenorm can verify models."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "facenorm" / "MANIFEST"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "models" / "MANIFEST", target)


setup(ext_modules=[CMakeExtension("facenorm._core"), CMakeExtension("facenorm._nets")],
      cmdclass={"build_ext": CMakeBuild, "build_py": BuildPyWithManifest})
