"""Module paths from before issue 16 keep working: a moved module's old path is the very module
object of its new path (facenorm._moved), with a DeprecationWarning naming the new one; the old
lipdetect.pairs, split in two, re-exports the same objects; old names still import."""
import importlib
import sys
import warnings

import pytest

import facenorm as fn
from facenorm.landmarks import get_landmarker
from facenorm.landmarks.dlib import LandmarkPredictor


def fresh_import(name: str):
    """(module, DeprecationWarnings) of a first import of `name`."""
    sys.modules.pop(name, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(name)
    return module, [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]


@pytest.mark.parametrize("old, new", [
    ("facenorm.landmark_refine", "facenorm.landmarks.refine"),
    ("facenorm.landmark_refine.model", "facenorm.landmarks.refine.model"),
    ("facenorm.landmarks_fcn.samples", "facenorm.landmarks.fcn.samples"),
    ("facenorm.landmark_ert.samples", "facenorm.landmarks.ert.samples"),
    ("facenorm.score.pairs", "facenorm.score.pair_score"),
])
def test_old_module_paths_give_the_same_objects(old, new):
    moved, warned = fresh_import(old)
    assert moved is importlib.import_module(new)
    assert any(new in w for w in warned)


def test_old_names_still_import():
    from facenorm.detection import LandmarkPredictor as old_class, landmark_predictor
    from facenorm.landmark_refine import RefinedLandmarker
    from facenorm.landmarks.refine.model import RefinedLandmarker as new_class
    from facenorm.landmarks_fcn import LandmarkSet, nme
    from facenorm.score.pairs import score_pair

    assert old_class is LandmarkPredictor and landmark_predictor is get_landmarker
    assert RefinedLandmarker is new_class
    assert LandmarkSet.__module__.startswith("facenorm.landmarks") and callable(nme)
    assert score_pair is fn.score.score_pair


def test_old_lip_pairs_path_re_exports_the_reader_and_the_builder():
    from facenorm.lipdetect import lip_pairs, lip_pairs_build

    old, warned = fresh_import("facenorm.lipdetect.pairs")
    assert any("facenorm.lipdetect.lip_pairs" in w for w in warned)
    assert old.LipPairs is lip_pairs.LipPairs and old.build_pairs is lip_pairs_build.build_pairs
    assert old.store_features is lip_pairs.store_features and old.PairSource is lip_pairs_build.PairSource
    assert issubclass(old.LipPairs, fn.data.Dataset)
