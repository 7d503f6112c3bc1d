"""A synth job over several methods (e.g. lt-v1, lt-v2 and cleft): each record draws its method,
and a cleft record its severity, from its own seed, so a record never depends on the order the
job ran in. The record's `group` names what was drawn (docs/lip_detection.md: the per-kind
subsets of the lip detector)."""
from typing import Optional, Sequence, Tuple

import numpy as np

from .. import _core

__all__ = ["method_list", "checked_severity_range", "drawn_method", "drawn_severity", "record_group"]


def method_list(method) -> Tuple[str, ...]:
    """'lt-v2' -> ('lt-v2',); 'lt-v1,cleft' or ['lt-v1', 'cleft'] -> ('lt-v1', 'cleft')."""
    names = method.split(",") if isinstance(method, str) else list(method)
    names = tuple(n.strip() for n in names if n.strip())
    if not names:
        raise _core.InputError(f"method: expected one name or a list of names, got {method!r}")
    if len(set(names)) != len(names):
        raise _core.InputError(f"method: each name once, got {list(names)}")
    return names


def checked_severity_range(severity_range) -> Optional[Tuple[float, float]]:
    if severity_range is None:
        return None
    low, high = (float(v) for v in severity_range)
    if not 0.0 < low <= high <= 1.0:
        raise _core.InputError(f"cleft severity range: expected 0 < low <= high <= 1, got {low}, {high}")
    return low, high


def drawn_method(methods: Sequence[str], seed: int) -> str:
    """One record's method; its own stream, apart from the one the method itself draws from."""
    if len(methods) == 1:
        return methods[0]
    return methods[int(np.random.default_rng([seed, 1]).integers(len(methods)))]


def drawn_severity(severity: float, severity_range, seed: int) -> float:
    """`severity`, or a uniform draw in severity_range (low, high) for this record."""
    if severity_range is None:
        return severity
    low, high = severity_range
    return float(np.random.default_rng([seed, 2]).uniform(low, high))


def record_group(method: str, extra: dict) -> str:
    """The record's group: the method, and for a cleft its kind (cleft_unilateral_complete, ...)."""
    return f"cleft_{extra['cleft']['kind']}" if method == "cleft" else method
