"""Landmarkers by name (facenorm.landmarks.registry): every spec the commands take gives the
landmarker it names, and a bad spec raises a facenorm error saying what was expected (the module
paths from before issue 16 are tested in test_old_module_paths.py."""
import numpy as np
import pytest

import facenorm as fn
from facenorm.landmarks import get_landmarker, landmarker_names, register_landmarker
from facenorm.landmarks.dlib import LandmarkPredictor


def _shipped(repo_root, name):
    if not (repo_root / "models" / name / "model.json").is_file():
        pytest.skip(f"models/{name} is not in this checkout")
    return repo_root / "models" / name


def test_dlib_is_the_default():
    assert isinstance(get_landmarker(None), LandmarkPredictor)
    assert isinstance(get_landmarker("dlib"), LandmarkPredictor)
    assert fn.get_landmarker is get_landmarker and fn.LandmarkPredictor is LandmarkPredictor


def test_a_dat_file_and_dlib_model_option_give_dlib(repo_root):
    default = LandmarkPredictor().model_path
    assert get_landmarker(default).model_path == default
    assert get_landmarker(f"dlib:model={default}").model_path == default


@pytest.mark.parametrize("spec", ["refined", "refine"])
def test_refined_by_name(spec, repo_root):
    _shipped(repo_root, "landmark_refiner")
    from facenorm.landmarks.refine.model import RefinedLandmarker
    assert isinstance(get_landmarker(spec), RefinedLandmarker)


def test_refiner_by_folder_by_option_and_by_model_name(repo_root):
    folder = _shipped(repo_root, "landmark_refiner_synthetic")
    from facenorm.landmarks.refine.model import RefinedLandmarker
    for spec in (str(folder), f"refine:model={folder}", "landmark_refiner_synthetic"):
        model = get_landmarker(spec)
        assert isinstance(model, RefinedLandmarker) and model.model_dir.endswith("landmark_refiner_synthetic"), spec


def test_fcn_by_name_folder_and_options(repo_root):
    folder = _shipped(repo_root, "landmark_fcn")
    from facenorm.landmarks.fcn.model import FcnLandmarker
    assert isinstance(get_landmarker("fcn"), FcnLandmarker)
    assert isinstance(get_landmarker(str(folder)), FcnLandmarker)
    model = get_landmarker(f"fcn:model={folder},top_k=9,weighted=1")
    assert (model.top_k, model.weighted) == (9, True)


def test_an_object_with_predict_is_used_as_it_is():
    class Mean:
        def predict(self, image, box):
            return np.zeros((68, 2), np.float32)
    mine = Mean()
    assert get_landmarker(mine) is mine


def test_register_a_landmarker_of_your_own():
    register_landmarker("test-zeros", lambda **options: ("zeros", options))
    try:
        assert "test-zeros" in landmarker_names()
        assert get_landmarker("test-zeros:k=1") == ("zeros", {"k": "1"})
    finally:
        from facenorm.landmarks import registry
        registry._FACTORIES.pop("test-zeros")


@pytest.mark.parametrize("spec, message", [
    ("nonsense", "unknown landmarker 'nonsense'; expected one of dlib, fcn, refine, refined"),
    ("dlib:model", "expected options as key=value"),
    ("dlib:colour=red", "landmarker 'dlib': bad options"),
    ("fcn:top_k=many", "option top_k: expected int"),
])
def test_bad_specs_say_what_was_expected(spec, message):
    with pytest.raises(fn.InputError, match=message) as e:
        get_landmarker(spec)
    assert isinstance(e.value, fn.FacenormError)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(fn.FacenormError):
        get_landmarker(str(tmp_path / "missing.dat"))
