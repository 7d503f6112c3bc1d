"""The cascaded FCN landmarker for faces that dlib's shape prior smooths over (facial palsy):
crops, samples and importers, training, NME evaluation (docs/palsy.md)."""
from .annotations import read_annotated_folder, read_npy, read_pts, write_pts  # noqa: F401
from .nme import nme, subject_folds  # noqa: F401
from .samples import LandmarkSet, samples_from_annotations, samples_from_normal_faces  # noqa: F401

__all__ = ["read_annotated_folder", "read_npy", "read_pts", "write_pts", "nme", "subject_folds", "LandmarkSet",
           "samples_from_annotations", "samples_from_normal_faces"]
