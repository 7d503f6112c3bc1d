"""Shared fixtures: the package from the source tree, real faces from ../shared/data."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))

ASTRONAUT = Path("/usr/lib/python3/dist-packages/skimage/data/astronaut.png")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = ROOT.parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"shared test data not found at {path} (faces are never committed into the project)")
    return path


@pytest.fixture(scope="session")
def celeba_images(shared_data) -> list:
    images = sorted((shared_data / "celebamask" / "test" / "images").glob("*.jpg"))
    if not images:
        pytest.skip("no CelebAMask-HQ test images under ../shared/data/celebamask/test/images")
    return [str(p) for p in images]


@pytest.fixture(scope="session")
def astronaut_path() -> str:
    if not ASTRONAUT.exists():
        pytest.skip("scikit-image's astronaut.png is missing (install python3-skimage)")
    return str(ASTRONAUT)


@pytest.fixture(scope="session")
def pipeline():
    import facenorm as fn

    return fn.FacePipeline()
