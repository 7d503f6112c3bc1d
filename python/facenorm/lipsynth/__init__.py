"""Synthetic cleft-like lips on normal faces (ICMI 2024 lip transformations)."""
from .templates import load_lip_template, lip_templates_in, choose_template  # noqa: F401
from .lip_transform import LipTransform, lip_transform_v2  # noqa: F401
