"""Appraisal that needs no anomalous data (JBHI 2025 route): an anomaly map from pretrained
features fitted on normal faces of every age, a two-phase inpainting normalizer driven by the
map, and a score whose normality is a percentile among held-out normal faces (docs/appraisal.md)."""

__all__ = []  # its modules are imported by path (facenorm.appraisal.MODULE)
