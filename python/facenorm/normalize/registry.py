"""Normalizers by name: `--normalizer NAME[:key=value,key=value]` on the command line.

Each entry maps a name to a factory taking the options as keyword arguments (strings from the
command line; factories convert them and raise InputError naming the bad option).
"""
from typing import Callable, Dict

from .. import specs
from .._core import InputError
from .base import IdentityNormalizer, Normalizer

__all__ = ["register_normalizer", "normalizer_names", "parse_spec", "get_normalizer"]

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
    return specs.parse_spec(spec, "normalizer")


def get_normalizer(spec: str) -> Normalizer:
    """A normalizer from 'NAME[:key=value,...]'; InputError lists the names when unknown."""
    name, options = parse_spec(spec)
    factory = specs.factory_for("normalizer", name, _FACTORIES, _LAZY, "one of " + ", ".join(normalizer_names()))
    try:
        return factory(**options)
    except TypeError as e:
        raise InputError(f"normalizer '{name}': bad options {options} ({e})") from None
