"""The one sample-set base (facenorm.landmarks.sample_set) under the FCN's LandmarkSet and the
refiner's RefineSet: subset, concatenation and the .npz cache keep every per-sample field in
step; bad caches are refused with a facenorm error."""
import numpy as np
import pytest

import facenorm as fn
from facenorm.landmarks.fcn.samples import LandmarkSet
from facenorm.landmarks.refine.samples import RefineSet
from facenorm.landmarks.sample_set import SampleSet


def landmark_set(n, tag="a", predictions=("dlib",)):
    rng = np.random.default_rng(n)
    pts = rng.uniform(0, 96, (n, 68, 2)).astype(np.float32)
    return LandmarkSet(rng.integers(0, 255, (n, 96, 96), dtype=np.uint8), pts, pts + 1, np.zeros((n, 2, 3)),
                       np.zeros((n, 4)), [f"{tag}{i}.jpg" for i in range(n)], [f"{tag}{i}" for i in range(n)],
                       ["normal"] * n, ["dlib"] * n, [(f"{tag}-bad.jpg", "no face")],
                       {k: pts + 2 for k in predictions})


def refine_set(n, side=40):
    rng = np.random.default_rng(n)
    pts = rng.uniform(0, side, (n, 68, 2)).astype(np.float32)
    return RefineSet([rng.integers(0, 255, (side, side), dtype=np.uint8) for _ in range(n)], pts, pts + 1,
                     [f"s{i}" for i in range(n)], ["palsy-left"] * n)


def same(a: SampleSet, b: SampleSet) -> bool:
    return (all(np.array_equal(getattr(a, k), getattr(b, k)) for k in a.ARRAYS) and
            all(len(getattr(a, k)) == len(getattr(b, k)) and
                all(np.array_equal(x, y) for x, y in zip(getattr(a, k), getattr(b, k))) for k in a.LISTS))


@pytest.mark.parametrize("make", [landmark_set, refine_set])
def test_subset_and_concatenation_keep_fields_in_step(make):
    s = make(5)
    part = s.subset([3, 1])
    assert len(part) == 2 and same(part, make(5).subset(np.array([3, 1])))
    assert np.array_equal(part.truth[0], s.truth[3]) and part.subjects == [s.subjects[3], s.subjects[1]]
    both = s.concatenated(make(3))
    assert len(both) == 8 and same(both.subset(range(5)), s) and both.skipped == s.skipped + make(3).skipped


def test_predictions_follow_the_samples_and_are_kept_only_where_both_sets_have_them():
    s = landmark_set(4, predictions=("dlib", "fcn"))
    assert np.array_equal(s.subset([2]).predictions["fcn"][0], s.predictions["fcn"][2])
    assert set(s.concatenated(landmark_set(2, "b", ("dlib",))).predictions) == {"dlib"}


@pytest.mark.parametrize("make", [landmark_set, refine_set])
def test_the_cache_round_trips(make, tmp_path):
    s = make(4)
    s.save(tmp_path / "s.npz")
    back = type(s).load(tmp_path / "s.npz")
    assert same(back, s) and back.skipped == [] and not (tmp_path / "s.npz.partial.npz").exists()


def test_images_of_several_sizes_cannot_be_cached(tmp_path):
    mixed = refine_set(2).concatenated(refine_set(1, side=50))
    with pytest.raises(fn.InputError, match="refiner samples of several image sizes"):
        mixed.save(tmp_path / "s.npz")


def test_a_file_of_another_kind_is_refused(tmp_path):
    landmark_set(2).save(tmp_path / "fcn.npz")
    with pytest.raises(fn.InputError, match="not a refiner sample file"):
        RefineSet.load(tmp_path / "fcn.npz")
    with pytest.raises(fn.InputError, match="not a landmark sample file"):
        LandmarkSet.load(tmp_path / "missing.npz")
