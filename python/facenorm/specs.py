"""`NAME[:key=value,...]` specs, the one syntax for choosing a component by name on the command
line (normalizers, landmarkers): parsing, and the lazy lookup of a registry's factories."""
import importlib
from typing import Callable, Dict

from ._core import InputError

__all__ = ["parse_spec", "factory_for"]


def parse_spec(spec: str, kind: str) -> tuple:
    """'name:key=value,key=value' -> (name, {key: value}); `kind` ("normalizer", ...) names the
    component in the error."""
    name, _, rest = spec.partition(":")
    options = {}
    for item in filter(None, rest.split(",")):
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise InputError(f"{kind} '{spec}': expected options as key=value, got '{item}'")
        options[key.strip()] = value.strip()
    return name.strip(), options


def factory_for(kind: str, name: str, factories: Dict[str, Callable], lazy: Dict[str, str],
                expected: str) -> Callable:
    """The factory registered as `name`, importing a lazy "module:attr" entry on first use (so
    torch and friends load only when asked for); InputError says what was `expected`."""
    if name not in factories and name in lazy:
        module, attr = lazy[name].split(":")
        try:
            factories[name] = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            raise InputError(f"{kind} '{name}' is not available in this build") from None
    if name not in factories:
        raise InputError(f"unknown {kind} '{name}'; expected {expected}")
    return factories[name]
