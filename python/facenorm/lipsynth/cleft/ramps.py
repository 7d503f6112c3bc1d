"""Ramps shared by the warps and the paint. np.clip is avoided: on the few-point arrays of the
landmark inverses its argument checks cost more than the arithmetic."""
import numpy as np

__all__ = ["clamp", "smoothstep", "fade"]


def clamp(x, lo: float, hi: float):
    """x limited to [lo, hi] (np.clip's result for finite x)."""
    return np.minimum(np.maximum(x, lo), hi)


def smoothstep(t):
    """0 at t <= 0, 1 at t >= 1, C1 in between."""
    t = clamp(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def fade(t):
    """1 at t <= 0, 0 at t >= 1: 1 - smoothstep."""
    return 1.0 - smoothstep(t)
