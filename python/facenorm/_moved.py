"""Old module paths kept working after a move (issue 16): `import facenorm.landmark_refine.model`
gives the very module object `facenorm.landmarks.refine.model`, with a DeprecationWarning naming
the new path. An import hook rather than stub files, so every submodule of a moved package is
covered and a stub can never drift from (or duplicate the classes of) the module it stands for."""
import importlib
import importlib.abc
import importlib.util
import sys
import warnings

__all__ = ["MOVED", "install"]

MOVED = {  # old dotted path -> new one (packages cover their submodules)
    "facenorm.landmark_refine": "facenorm.landmarks.refine",
    "facenorm.landmarks_fcn": "facenorm.landmarks.fcn",
    "facenorm.landmark_ert": "facenorm.landmarks.ert",
    "facenorm.score.pairs": "facenorm.score.pair_score",
}


def new_name(old: str):
    """The module's current path, or None if `old` was never moved."""
    for prefix, target in MOVED.items():
        if old == prefix or old.startswith(prefix + "."):
            return target + old[len(prefix):]
    return None


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        warnings.warn(f"{spec.name} moved to {self.target} (issue 16); the old path will go in a later release",
                      DeprecationWarning, stacklevel=2)
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass  # already executed under its new name


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        target = new_name(name)
        if target is None:
            return None
        found = importlib.util.find_spec(target)
        if found is None:
            return None
        return importlib.util.spec_from_loader(name, _Alias(target),
                                               is_package=found.submodule_search_locations is not None)


def install() -> None:
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
