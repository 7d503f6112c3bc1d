"""A palsy-aware refinement of dlib's 68 landmarks: a cascade of linear steps on shape-indexed
gradient features, trained on palsy-like copies whose points are exact (docs/palsy.md)."""
from .model import RefinedLandmarker

__all__ = ["RefinedLandmarker"]
