"""Landmarkers by name: `--model SPEC` (facenorm landmarks, palsy, evaluate-landmarks) and
`--landmark-model SPEC` (prepare), all through get_landmarker. SPEC is one of

- `dlib[:model=FILE.dat]`: dlib's 68-point shape predictor (the default);
- `refined[:model=DIR]` (or `refine`): dlib's points corrected where a face droops
  (models/landmark_refiner, the palsy default);
- `fcn[:model=DIR,top_k=N,weighted=0|1,threads=N]`: the cascaded FCN (models/landmark_fcn);
- a folder holding a model.json, or the name of one of facenorm's model folders
  (`landmark_refiner_synthetic`): the refiner or FCN it holds, told apart by its format;
- any other path: a dlib 68-point .dat file.

Each name maps to a factory taking the options as keyword arguments (strings from the command
line), as in normalize/registry.py. A landmarker is any object with
predict(image, box) -> float32 (68, 2) image pixels.
"""
import json
import os
from typing import Callable, Dict

from .. import specs
from .._core import InputError
from ..models import find_model_dir
from .dlib import dlib_landmarker

__all__ = ["SPEC_HELP", "register_landmarker", "landmarker_names", "installed_landmarkers", "get_landmarker", "landmark_predictor"]

REFINER_FORMAT = "facenorm-landmark-refiner"  # model.json "format" of a refiner folder (else: an FCN's)
SPEC_HELP = ("landmark model: dlib, refined (dlib's points corrected on drooping faces, models/landmark_refiner), "
             "fcn (the cascaded FCN, models/landmark_fcn), NAME:model=DIR for another folder of that kind, "
             "a model folder or name, or a dlib 68-point .dat file")

_FACTORIES: Dict[str, Callable] = {"dlib": dlib_landmarker}
_LAZY = {  # name -> "module:factory", imported on first use (torch loads only for the FCN)
    "refined": "facenorm.landmarks.refine.model:refined_landmarker",
    "refine": "facenorm.landmarks.refine.model:refined_landmarker",
    "fcn": "facenorm.landmarks.fcn.model:fcn_landmarker",
}


def register_landmarker(name: str, factory: Callable) -> None:
    """Adds a landmarker under `name` (e.g. one of your own), usable from get_landmarker."""
    _FACTORIES[name] = factory


def landmarker_names() -> list:
    return sorted(set(_FACTORIES) | set(_LAZY))


def installed_landmarkers() -> list:
    """dlib, then the trained landmarkers whose default model folder is installed (refined, fcn)."""
    return ["dlib"] + [name for name, folder in (("refined", "landmark_refiner"), ("fcn", "landmark_fcn"))
                       if find_model_dir(folder)]


def _model_format(folder: str) -> str:
    try:
        with open(os.path.join(folder, "model.json")) as f:
            return str(json.load(f).get("format", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def _from_path(path: str):
    """A model folder (refiner or FCN, by model.json's format) or a dlib .dat file."""
    if not os.path.isdir(path):
        return dlib_landmarker(path)
    name = "refined" if _model_format(path) == REFINER_FORMAT else "fcn"
    return specs.factory_for("landmarker", name, _FACTORIES, _LAZY, "")(model=path)


def _looks_like_path(spec: str) -> bool:
    return ":" not in spec and (os.sep in spec or spec.endswith(".dat"))


def get_landmarker(spec=None):
    """A landmarker from a SPEC (see the module's doc); None means dlib and an object with
    predict(image, box) is returned as it is. InputError says what was expected when the spec
    names nothing known; a named file or folder that is missing raises MissingFileError."""
    if spec is None:
        spec = "dlib"
    if hasattr(spec, "predict"):
        return spec
    spec = os.fspath(spec)
    if os.path.exists(spec) or _looks_like_path(spec):
        return _from_path(spec)
    name, options = specs.parse_spec(spec, "landmarker")
    folder = find_model_dir(name) if name not in _FACTORIES and name not in _LAZY and not options else None
    if folder and _model_format(folder):
        return _from_path(folder)  # one of facenorm's own model folders, by name
    expected = "one of " + ", ".join(landmarker_names()) + " (NAME[:model=DIR]), a model folder or name, or a dlib .dat file"
    factory = specs.factory_for("landmarker", name, _FACTORIES, _LAZY, expected)
    try:
        return factory(**options)
    except TypeError as e:
        raise InputError(f"landmarker '{name}': bad options {options} ({e})") from None


landmark_predictor = get_landmarker  # the name detection.py gave it before the registry
