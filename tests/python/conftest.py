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


@pytest.fixture(scope="session")
def lip_pairs_small(shared_data, tmp_path_factory):
    """A small pairs file on real faces (8 train/dev + 3 test CelebA faces, LT-v2, statistical
    normalizer, the 13 measured cleft shapes on the test faces) for the classifier tests."""
    from facenorm.lipdetect.lip_dataset import build_lip_dataset

    train = sorted((shared_data / "celebamask" / "train" / "images").glob("*.jpg"))[:8]
    test = sorted((shared_data / "celebamask" / "test" / "images").glob("*.jpg"))[:3]
    shapes = shared_data / "clp_lip_shapes"
    if len(train) < 8 or len(test) < 3 or not shapes.is_dir():
        pytest.skip("CelebAMask-HQ faces or clp_lip_shapes missing under ../shared/data")
    work = tmp_path_factory.mktemp("lip_pairs_small")
    summary = build_lip_dataset([str(p) for p in train], work, test_inputs=[str(p) for p in test],
                                real_shapes=str(shapes), normalizer="statistical", pose_filter=False,
                                dev_fraction=0.3, progress=False)
    return summary["pairs"]


def pytest_configure(config):
    for name, text in (("kernels", "one operation against a slow reference"), ("api", "the Python API on real faces"),
                       ("cli", "the command line and the notebooks"), ("jobs", "batch jobs over files"),
                       ("fast", "the newcomer's first minute (tests/python/layers.py)")):
        config.addinivalue_line("markers", f"{name}: {text}")


def pytest_collection_modifyitems(config, items):
    """Mark each test with its file's layer (tests/python/layers.py); a file with no layer fails
    the collection, so a new test file must say what it tests."""
    from layers import FAST, layer_of

    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        layer = layer_of(module)
        if layer is None:
            raise pytest.UsageError(f"{module}.py has no layer in tests/python/layers.py (kernels, api, cli or jobs)")
        item.add_marker(getattr(pytest.mark, layer))
        if module in FAST:
            item.add_marker(pytest.mark.fast)
