"""Networks under libtorch (the Debian 1.13.1 build shared by python3-torch and libtorch-dev).

Importing this module imports torch (a second or two); `import facenorm` alone does not.
Tensors cross into C++ without copies: both sides use the same libtorch.

Importing it also calls `torch.set_flush_denormal(True)`, which is process-wide: denormal floats
are flushed to zero in every torch computation of the process afterwards (see below for why).
Call `torch.set_flush_denormal(False)` after the import if your own code needs them.
"""
import numpy as np
import torch

from .. import _core
from .. import _nets
from .._nets import (  # noqa: F401  (the networks and their ops: library code imports them from here)
    AutoencoderTrainer, CascadedFcn, DlibResNet, FaceAutoencoder, FaceInpainter, FaceRestoration, FcnTrainer,
    FeatureStudent, InpainterTrainer, LipClassifier, LipTrainer, MobileNetV2, PalsyParsingNet, ParsingTrainer,
    RestorationTrainer, StudentTrainer, cascaded_fcn_loss,
    coarse_structure, deep_feature_distance, dlib_face_resnet_reference, dlib_resnet34_reference,
    dlib_resnet34_reference_logits, evaluate_lip_classifier, heatmap_landmarks, landmark_heatmaps,
    lip_cache_features, load_dlib_face_resnet, load_dlib_resnet34, parsing_boundary_loss, parsing_confusion,
    parsing_metrics, torch_version,
)

# Denormal floats make CPU arithmetic 10-20x slower, and random or partly trained networks make
# them (measured: a freshly initialized MobileNetV2, 2.3 s -> 0.16 s per batch of two). Flushing
# them to zero changes no result that matters; note that it is process-wide, as in PyTorch.
torch.set_flush_denormal(True)

__all__ = [
    "AutoencoderTrainer", "CascadedFcn", "DlibResNet", "FaceAutoencoder", "FaceInpainter", "FaceRestoration",
    "FcnTrainer", "FeatureStudent", "InpainterTrainer", "LipClassifier", "LipTrainer", "MobileNetV2",
    "PalsyParsingNet", "ParsingTrainer", "RestorationTrainer", "StudentTrainer",
    "cascaded_fcn_loss", "coarse_structure", "deep_feature_distance", "dlib_face_resnet_reference",
    "dlib_resnet34_reference", "dlib_resnet34_reference_logits", "evaluate_lip_classifier", "heatmap_landmarks",
    "landmark_heatmaps", "lip_cache_features", "load_dlib_face_resnet", "load_dlib_resnet34",
    "parsing_boundary_loss", "parsing_confusion", "parsing_metrics", "torch_version",
    "IMAGENET_MEAN", "IMAGENET_STD", "images_to_tensor", "tensor_to_images", "torch_threads",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

def _major_minor(version: str) -> tuple:
    return tuple(version.split(".")[:2])


# Debian's python3-torch calls itself 1.13.0a0 and its libtorch 1.13.0: the same 1.13 build.
if _major_minor(_nets.torch_version) != _major_minor(torch.__version__):
    raise _core.BackendError(f"facenorm._nets was built against libtorch {_nets.torch_version} but Python imports "
                             f"torch {torch.__version__}; rebuild (bash scripts/build.sh) with Debian's python3-torch")


def images_to_tensor(images, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> torch.Tensor:
    """RGB uint8 (N, H, W, 3) or (H, W, 3) -> float32 (N, 3, H, W), (x/255 - mean) / std.

    Accepts a NumPy array or a CPU uint8 tensor; NumPy arrays are shared, not copied, on the way in.
    """
    if isinstance(images, np.ndarray):
        if images.dtype != np.uint8:
            raise _core.InputTypeError(f"images: expected uint8, got {images.dtype}")
        images = torch.from_numpy(np.ascontiguousarray(images))
    return _nets.images_to_tensor(images, tuple(mean), tuple(std))


def tensor_to_images(tensor: torch.Tensor, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> np.ndarray:
    """The inverse of images_to_tensor: float32 (N, 3, H, W) -> uint8 (N, H, W, 3) NumPy array."""
    return _nets.tensor_to_images(tensor, tuple(mean), tuple(std)).numpy()


class torch_threads:
    """`with torch_threads(n):` runs the block on n torch threads (None: as it is) and restores the
    previous count after it: Debian's torch starts with one, and callers share the process."""

    def __init__(self, threads):
        self.threads = int(threads) if threads else None

    def __enter__(self):
        self.previous = torch.get_num_threads()
        if self.threads and self.threads != self.previous:
            torch.set_num_threads(self.threads)
        return self

    def __exit__(self, *exc):
        # only when changed: set_num_threads took 7 ms (median, 2 quiet cores) even to the same count
        if torch.get_num_threads() != self.previous:
            torch.set_num_threads(self.previous)
        return False
