"""Opening HDF5 files with h5py's errors turned into facenorm's (DatasetError, MissingFileError)."""
import contextlib
import os

import h5py

from .._core import DatasetError, FacenormError, MissingFileError

__all__ = ["dataset_errors", "open_hdf5"]


@contextlib.contextmanager
def dataset_errors(path, doing: str):
    """Re-raise h5py's OSError/KeyError/ValueError as DatasetError naming the file and the step."""
    try:
        yield
    except FacenormError:  # already ours (InputError is a ValueError too)
        raise
    except (OSError, KeyError, ValueError) as e:
        raise DatasetError(f"{path}: {doing} failed ({e}); expected a readable facenorm HDF5 "
                           f"dataset (see docs/datasets.md)") from e


def open_hdf5(path, mode: str) -> h5py.File:
    """h5py.File(path, mode) for an existing file; a missing file is MissingFileError, a corrupt
    or non-HDF5 one DatasetError."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise MissingFileError(f"{path}: no such dataset file")
    if not h5py.is_hdf5(path):
        raise DatasetError(f"{path}: not an HDF5 file (no HDF5 signature); expected a facenorm "
                           f"dataset (see docs/datasets.md)")
    with dataset_errors(path, "opening"):
        return h5py.File(path, mode)
