"""The one base of the landmark sample sets (the FCN's crops, the refiner's faces): the fields
that hold one entry per sample stay in step through subset, concatenation and the .npz cache."""
import os

import numpy as np

from .._core import InputError

__all__ = ["SampleSet"]


class SampleSet:
    """Base of a dataclass of samples. A subclass names its per-sample fields: ARRAYS (NumPy, first
    axis = sample) and LISTS (Python lists: strings, or images of any size); `skipped` ((source,
    reason) pairs) belongs to the set, and so does `predictions` ({landmarker: float32 (N, 68, 2)})
    where the class has it. WHAT names the kind in errors; COMPRESSED chooses the cache's format."""
    ARRAYS: tuple = ()
    LISTS: tuple = ()
    WHAT = "landmark"
    COMPRESSED = True

    def __len__(self) -> int:
        return len(getattr(self, (self.ARRAYS + self.LISTS)[0]))

    def _with(self, values: dict, skipped: list, predictions: dict):
        extra = {"predictions": predictions} if hasattr(self, "predictions") else {}
        return type(self)(**values, skipped=skipped, **extra)

    def subset(self, index):
        index = np.asarray([int(i) for i in index], np.int64)
        values = {k: getattr(self, k)[index] for k in self.ARRAYS}
        values.update({k: [getattr(self, k)[i] for i in index] for k in self.LISTS})
        predictions = {k: v[index] for k, v in getattr(self, "predictions", {}).items()}
        return self._with(values, list(self.skipped), predictions)

    def concatenated(self, other):
        """Both sets, this one first (predictions kept only where both have them)."""
        values = {k: np.concatenate([getattr(self, k), getattr(other, k)]) for k in self.ARRAYS}
        values.update({k: getattr(self, k) + getattr(other, k) for k in self.LISTS})
        theirs = getattr(other, "predictions", {})
        predictions = {k: np.concatenate([v, theirs[k]]) for k, v in getattr(self, "predictions", {}).items()
                       if k in theirs}
        return self._with(values, self.skipped + other.skipped, predictions)

    def save(self, path) -> None:
        """One .npz (no pickles), written to a temporary file and renamed; images in a list field
        must be of one size."""
        arrays = {k: getattr(self, k) for k in self.ARRAYS}
        for k in self.LISTS:
            values = getattr(self, k)
            if values and isinstance(values[0], np.ndarray):
                if len({v.shape for v in values}) != 1:
                    raise InputError(f"{path}: {self.WHAT} samples of several image sizes cannot be cached")
                arrays[k] = np.stack(values)
            else:
                arrays[k] = np.array(values, dtype=str)
        tmp = f"{path}.partial.npz"
        (np.savez_compressed if self.COMPRESSED else np.savez)(tmp, **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path):
        try:
            with np.load(path, allow_pickle=False) as z:
                values = {k: z[k] for k in cls.ARRAYS}
                values.update({k: list(z[k]) for k in cls.LISTS})
        except (OSError, KeyError, ValueError) as e:
            raise InputError(f"{path}: not a {cls.WHAT} sample file written by facenorm ({e})") from None
        return cls(**values)
