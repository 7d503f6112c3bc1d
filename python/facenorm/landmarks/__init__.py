"""Landmarkers: every model that puts iBUG's 68 points on a face, and the registry that picks
one by name (`get_landmarker("refined")`, `--model SPEC`).

- dlib.py: dlib's shape predictor (the default);
- refine/: dlib's points corrected where a face droops (the palsy default);
- fcn/: the AFLFP cascaded FCN (experimental), with the NME evaluation all landmarkers share;
- ert/: dlib's shape predictor retrained here (regression trees);
- sample_set.py, labelled_faces.py, sample_builder.py: the samples they train and are evaluated on.
Submodules holding torch code load only when used.
"""
from .dlib import LandmarkPredictor
from .registry import get_landmarker, landmarker_names, register_landmarker

__all__ = ["LandmarkPredictor", "get_landmarker", "landmarker_names", "register_landmarker"]
