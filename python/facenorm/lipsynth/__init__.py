"""Synthetic cleft-like lips on normal faces (ICMI 2024 lip transformations LT-v1 and LT-v2)."""
from .templates import load_lip_template, lip_templates_in  # noqa: F401
from .default_templates import default_lip_templates  # noqa: F401
from .lt_v1 import LT_V1_TRANSFORMS, lt_v1_landmarks  # noqa: F401
from .lt_v2 import LT_V2_ANCHORS, lip_transform_v2_landmarks  # noqa: F401
from .lip_transform import LipTransform, lip_transform_v1, lip_transform_v2  # noqa: F401
from .palsy import PalsyTransform, palsy_landmarks, palsy_transform  # noqa: F401

__all__ = ["load_lip_template", "lip_templates_in", "default_lip_templates", "LT_V1_TRANSFORMS", "lt_v1_landmarks",
           "LT_V2_ANCHORS", "lip_transform_v2_landmarks", "LipTransform", "lip_transform_v1", "lip_transform_v2",
           "PalsyTransform", "palsy_landmarks", "palsy_transform"]
