"""Every notebook under notebooks/ runs top to bottom in a real Jupyter kernel (nbclient +
ipykernel) against the source tree; tests/python/test_installed_package.py runs them against
an installed wheel."""
import os
import sys

import pytest
from notebook_runner import NEEDS_SHARED_DATA, OUTPUTS, ROOT, SHARED, notebooks, run_notebook

pytest.importorskip("nbclient", reason="python3-nbclient is not installed (bash scripts/install_deps.sh)")
pytest.importorskip("ipykernel", reason="python3-ipykernel is not installed (bash scripts/install_deps.sh)")


def test_every_notebook_is_tested():
    assert notebooks() == sorted(OUTPUTS)


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_notebook_runs_in_a_kernel(tmp_path, name, astronaut_path):
    if name in NEEDS_SHARED_DATA and not (SHARED / "data").is_dir():
        pytest.skip(f"{name} needs the faces of {SHARED / 'data'}")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    imported, _ = run_notebook(name, tmp_path, env, python=sys.executable)
    assert imported.is_relative_to(ROOT / "python"), f"the kernel imported {imported}, not the source tree's"
