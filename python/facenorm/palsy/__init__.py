"""Facial palsy: clinical asymmetry measures about the facial midline (docs/palsy.md)."""
from .measures import LENGTHS, MEASURES, AsymmetryMeasures, asymmetry_measures  # noqa: F401
from .midline import FaceFrame, facial_midline, mirror_landmarks  # noqa: F401
from .scale import IRIS_DIAMETER_MM, scale_from_ipd, scale_from_iris  # noqa: F401
from .drawing import draw_asymmetry, draw_landmark_sets  # noqa: F401
