"""Kept for old imports: the helpers live in facenorm.files."""
from ..files import atomic_write, atomic_write_text  # noqa: F401

__all__ = ["atomic_write", "atomic_write_text"]
