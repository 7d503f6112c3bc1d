"""Every notebook under notebooks/ runs top to bottom (code cells executed in order, in a temp dir)."""
import json
import os

import pytest


def notebooks(root):
    return sorted((root / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("name", ["quickstart.ipynb"])
def test_notebook_runs(repo_root, tmp_path, name, astronaut_path):
    path = repo_root / "notebooks" / name
    assert path in notebooks(repo_root)
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    assert cells, "a notebook without code cells tests nothing"
    namespace = {"__name__": "__notebook__"}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for i, cell in enumerate(cells):
            code = compile("".join(cell["source"]), f"{name}[cell {i}]", "exec")
            exec(code, namespace)  # noqa: S102 - executing our own notebook is the point
    finally:
        os.chdir(cwd)
    assert (tmp_path / "quickstart_lip.png").stat().st_size > 1000
