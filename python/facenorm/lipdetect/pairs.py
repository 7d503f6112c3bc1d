"""Old path (before issue 16) of the pairs file's reader and builder: lip_pairs.py reads the file,
lip_pairs_build.py writes it. Re-exported here so `from facenorm.lipdetect.pairs import ...` keeps
working."""
import warnings

from .lip_pairs import (ADULT_GROUPS, AGE_GROUPS, CHILD_GROUPS, COLUMNS, MARGIN, NORMALIZED_CROP, REGION,  # noqa: F401
                        STAGE, LipPairs, store_features, subset_indices)
from .lip_pairs_build import PairSource, build_pairs  # noqa: F401

__all__ = ["PairSource", "build_pairs", "LipPairs", "subset_indices", "store_features", "STAGE"]

warnings.warn("facenorm.lipdetect.pairs moved to facenorm.lipdetect.lip_pairs (reading) and "
              "facenorm.lipdetect.lip_pairs_build (building) (issue 16)", DeprecationWarning, stacklevel=2)
