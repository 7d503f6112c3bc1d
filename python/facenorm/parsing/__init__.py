"""Face parsing with a facial-paralysis-possibility (FPP) region (docs/palsy.md)."""
from .labels import CLASSES, from_celebamask  # noqa: F401

__all__ = ["CLASSES", "from_celebamask"]
