"""Facial palsy: clinical asymmetry measures about the facial midline, and the assessment
(docs/palsy.md). The rest of the palsy domain lives elsewhere; from here:

- measures: measures.py (about midline.py's midline, in mm by scale.py), drawn by drawing.py;
- diagnosis: assessment.py (p_palsy, side, central or peripheral), fitted by assessment_training.py;
- face parsing with the palsy (FPP) region: facenorm.parsing, also `facenorm.palsy.parsing`;
- the synthetic droop: facenorm.lipsynth.palsy, also `facenorm.palsy.palsy_transform`;
- landmarks that follow a droop: facenorm.landmarks (`get_landmarker("refined")`).
docs/architecture.md ("The palsy domain") maps each to its model folder and command.
"""
from .measures import LENGTHS, MEASURES, AsymmetryMeasures, asymmetry_measures
from .midline import FaceFrame, facial_midline, mirror_landmarks
from .scale import IRIS_DIAMETER_MM, scale_from_ipd, scale_from_iris
from .drawing import draw_asymmetry, draw_landmark_sets

__all__ = ["LENGTHS", "MEASURES", "AsymmetryMeasures", "asymmetry_measures", "FaceFrame", "facial_midline",
           "mirror_landmarks", "IRIS_DIAMETER_MM", "scale_from_ipd", "scale_from_iris", "draw_asymmetry",
           "draw_landmark_sets"]


def __getattr__(name: str):
    # pointers, imported on first use: parsing loads torch, and lipsynth imports this package
    if name == "parsing":
        import importlib
        return importlib.import_module("facenorm.parsing")
    if name == "palsy_transform":
        from ..lipsynth.palsy import palsy_transform
        return palsy_transform
    raise AttributeError(f"module 'facenorm.palsy' has no attribute '{name}'")
