"""HDF5 datasets (schema in docs/datasets.md): `Dataset` reads, `DatasetWriter` appends, and
`prepare_dataset` builds the first stage from photos (`facenorm prepare`)."""
from .schema import SCHEMA_VERSION, RECORD_DTYPE, SKIPPED_DTYPE
from .dataset import Dataset, Sample
from .writer import DatasetWriter, EncodedChunk, encode_chunk
from .landmark_files import read_landmark_file, read_pts, read_landmarks_npy, find_sidecar_landmarks
from .inputs import collect_image_paths
from .prepare_face import PrepareOptions
from .prepare import prepare_dataset

__all__ = ["SCHEMA_VERSION", "RECORD_DTYPE", "SKIPPED_DTYPE", "Dataset", "Sample", "DatasetWriter", "EncodedChunk",
           "encode_chunk", "read_landmark_file", "read_pts", "read_landmarks_npy", "find_sidecar_landmarks",
           "collect_image_paths", "PrepareOptions", "prepare_dataset"]
