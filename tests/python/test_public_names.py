"""Every public module of facenorm lists its public names in `__all__`, and every listed name is
defined or imported there (read from the source, so torch modules are not imported)."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "python" / "facenorm"
PUBLIC = sorted(p for p in PACKAGE.rglob("*.py")
                if p.name == "__init__.py" or not (p.name.startswith("_") or "/_" in str(p.relative_to(PACKAGE))))


def top_level_names(tree) -> set:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def declared_all(tree):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def test_the_package_has_public_modules():
    assert len(PUBLIC) > 150


@pytest.mark.parametrize("path", PUBLIC, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_public_module_lists_its_names(path):
    tree = ast.parse(path.read_text())
    listed = declared_all(tree)
    assert listed is not None, f"{path.relative_to(PACKAGE)}: no __all__"
    missing = set(listed) - top_level_names(tree) - {"__version__"}
    if path.name == "__init__.py":  # a package may list its subpackages
        missing = {n for n in missing if not (path.parent / n).is_dir() and not (path.parent / f"{n}.py").is_file()}
    assert not missing, f"{path.relative_to(PACKAGE)}: __all__ names {sorted(missing)}, not defined there"
    assert len(listed) == len(set(listed)), f"{path.relative_to(PACKAGE)}: a name listed twice"
