"""Running a notebook as Jupyter does: nbclient, an ipykernel whose Python is the one under test
(the source tree's /usr/bin/python3, or an installed package's venv), working directory notebooks/."""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"

# Each notebook and a picture it must write.
OUTPUTS = {"quickstart.ipynb": "quickstart_lip.png", "lip_transformations.ipynb": "palsy.png",
           "anomaly_scoring.ipynb": "score_vs_severity.png", "normalization.ipynb": "normalizers.png",
           "learned_normalization.ipynb": "learned_triplets.png", "lip_detection.ipynb": "lip_cam.png",
           "appraisal.ipynb": "appraisal.png"}
# Notebooks that need the faces of ../shared/data (the others fall back to astronaut.png).
NEEDS_SHARED_DATA = {"lip_detection.ipynb", "learned_normalization.ipynb"}
# The first cell the kernel runs: where facenorm comes from, printed for the test to check.
WHERE = "import facenorm\nprint('FACENORM_FILE=' + facenorm.__file__)"


def notebooks() -> list:
    return sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def kernel_spec(folder: Path, python: str) -> str:
    """Writes a kernelspec running ipykernel under `python` into folder/kernels; returns its name."""
    name = "facenorm-under-test"
    spec = folder / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"facenorm ({python})", "language": "python"}))
    return name


def run_notebook(name: str, tmp_path: Path, env: dict, python: str = sys.executable, timeout: int = 600):
    """Executes notebooks/NAME top to bottom in a real kernel, in tmp_path/notebooks (with
    tmp_path/shared linked to ../shared, so the notebooks' ../shared/data works); returns
    (the facenorm file the kernel imported, the working folder). A cell's error fails the call."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    work = tmp_path / "notebooks"
    work.mkdir()
    if SHARED.is_dir():
        (tmp_path / "shared").symlink_to(SHARED, target_is_directory=True)
    raw = json.loads((ROOT / "notebooks" / name).read_text())
    for i, cell in enumerate(raw["cells"]):  # nbformat 4.5 wants cell ids; Jupyter adds them on save
        cell.setdefault("id", f"cell-{i}")
    nb = nbformat.reads(json.dumps(raw), as_version=4)
    assert any(c.cell_type == "code" for c in nb.cells), "a notebook without code cells tests nothing"
    nb.cells.insert(0, nbformat.v4.new_code_cell(WHERE))
    kernel = kernel_spec(tmp_path, python)
    km = AsyncKernelManager(kernel_name=kernel,
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")]))
    client = NotebookClient(nb, km=km, timeout=timeout, resources={"metadata": {"path": str(work)}})
    client.execute(env=env)
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    where = printed.split("FACENORM_FILE=", 1)[1].strip()
    assert (work / OUTPUTS[name]).stat().st_size > 1000, f"{name} did not write {OUTPUTS[name]}"
    return Path(where), work
