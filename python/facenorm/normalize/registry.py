"""Normalizers by name: `--normalizer NAME[:key=value,key=value]` on the command line.

Each entry maps a name to a factory taking the options as keyword arguments (strings from the
command line; factories convert them and raise InputError naming the bad option).
"""
from typing import Callable, Dict

from .._core import InputError
from .base import IdentityNormalizer, Normalizer

_FACTORIES: Dict[str, Callable[..., Normalizer]] = {"none": IdentityNormalizer}
_LAZY = {  # name -> "module:factory", imported on first use (torch etc. load only when needed)
    "statistical": "facenorm.normalize.statistical:StatisticalNormalizer",
    "symmetry": "facenorm.normalize.symmetry:SymmetryNormalizer",
    "inpaint": "facenorm.normalize.inpaint:InpaintNormalizer",
    "map-inpaint": "facenorm.appraisal.map_inpaint:MapInpaintNormalizer",
    "torchscript": "facenorm.normalize.torchscript_chain:TorchScriptNormalizer",
    "gan": "facenorm.normalize.gan_normalizer:GanNormalizer",
    "learned": "facenorm.normalize.learned:LearnedNormalizer",
}


def register_normalizer(name: str, factory: Callable[..., Normalizer]) -> None:
    """Adds a normalizer under `name` (e.g. one of your own), usable from get_normalizer."""
    _FACTORIES[name] = factory


def normalizer_names() -> list:
    return sorted(set(_FACTORIES) | set(_LAZY))


def parse_spec(spec: str) -> tuple:
    """'name:key=value,key=value' -> (name, {key: value})."""
    name, _, rest = spec.partition(":")
    options = {}
    for item in filter(None, rest.split(",")):
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise InputError(f"normalizer '{spec}': expected options as key=value, got '{item}'")
        options[key.strip()] = value.strip()
    return name.strip(), options


def get_normalizer(spec: str) -> Normalizer:
    """A normalizer from 'NAME[:key=value,...]'; InputError lists the names when unknown."""
    import importlib

    name, options = parse_spec(spec)
    if name not in _FACTORIES and name in _LAZY:
        module, attr = _LAZY[name].split(":")
        try:
            _FACTORIES[name] = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            raise InputError(f"normalizer '{name}' is not available in this build") from None
    if name not in _FACTORIES:
        raise InputError(f"unknown normalizer '{name}'; expected one of {', '.join(normalizer_names())}")
    try:
        return _FACTORIES[name](**options)
    except TypeError as e:
        raise InputError(f"normalizer '{name}': bad options {options} ({e})") from None
