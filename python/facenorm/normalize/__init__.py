"""Normalizers: the same face with its anomaly filtered out (docs/normalization.md).

    n = fn.normalize.get_normalizer("symmetry")          # or "statistical", "inpaint:method=telea", ...
    result = n.normalize(image, landmarks)                # .image, .changed, .landmarks, .info
"""
from .base import IdentityNormalizer, NormalizationResult, Normalizer  # noqa: F401
from .registry import get_normalizer, normalizer_names, parse_spec, register_normalizer  # noqa: F401

__all__ = ["IdentityNormalizer", "NormalizationResult", "Normalizer", "get_normalizer", "normalizer_names",
           "parse_spec", "register_normalizer"]
