"""Multi-scale ResNet-34 features of canonical crops, on one grid (PaDiM's embedding).

dlib's ImageNet ResNet-34 (facenorm.score.deep_features.load_network) gives, for a 224 crop,
stage 1 at 54 x 54 (64 channels), stage 2 at 27 x 27 (128) and stage 3 at 13 x 13 (256). Stage 1
is average-pooled 2 x 2 and stage 3 resized bilinearly onto stage 2's 27 x 27 grid (one cell is
8 crop px, a tenth of the eye distance); a seeded random subset of the 448 channels is kept,
as PaDiM does, so each cell's covariance stays small enough to ship.
"""
import numpy as np

from .alignment import CROP_SIZE
from .lighting import even_lighting

__all__ = ["GRID", "STAGE_CHANNELS", "BACKBONE", "channel_subset", "Embedder"]

GRID = 27
STAGE_CHANNELS = (64, 128, 256)
BACKBONE = "resnet34_1000_imagenet_classifier"


def channel_subset(channels: int, seed: int) -> np.ndarray:
    total = sum(STAGE_CHANNELS)
    if not 1 <= channels <= total:
        from .._core import InputError
        raise InputError(f"channels: expected 1 to {total}, got {channels}")
    return np.sort(np.random.default_rng(seed).choice(total, channels, replace=False))


class Embedder:
    """crops uint8 (N, 224, 224, 3) -> float32 (N, channels, 27, 27)."""

    def __init__(self, channels: int = 100, seed: int = 0, lighting: bool = True):
        self.channels, self.seed, self.lighting = int(channels), int(seed), bool(lighting)
        self.subset = channel_subset(self.channels, self.seed)
        self._net = None

    @property
    def key(self) -> str:
        """Names the embedding in feature caches: backbone, grid, channel draw."""
        return f"{BACKBONE}/padim_g{GRID}_c{self.channels}_s{self.seed}" + ("_lit" if self.lighting else "")

    def __call__(self, crops: np.ndarray, faces=None) -> np.ndarray:
        """faces: the crops' face masks (N, 224, 224) or (224, 224); needed when lighting is on."""
        import torch
        import torch.nn.functional as F

        from ..score.deep_features import load_network
        if self._net is None:
            self._net = load_network(BACKBONE)
        if crops.ndim == 3:
            crops = crops[None]
        if crops.shape[1:] != (CROP_SIZE, CROP_SIZE, 3) or crops.dtype != np.uint8:
            from .._core import InputError
            raise InputError(f"embedder: expected uint8 crops (N, {CROP_SIZE}, {CROP_SIZE}, 3), "
                             f"got {crops.dtype} {crops.shape}")
        if self.lighting:
            if faces is None:
                from .._core import InputError
                raise InputError("embedder: lighting is on, so the crops' face masks are needed")
            faces = np.broadcast_to(faces, crops.shape[:3])
            crops = np.stack([even_lighting(c, f) for c, f in zip(crops, faces)])
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float()
            _, s1, s2, s3 = self._net.features(x, 4)
            s1 = F.adaptive_avg_pool2d(s1, GRID)
            s2 = s2 if s2.shape[-1] == GRID else F.interpolate(s2, size=GRID, mode="bilinear", align_corners=False)
            s3 = F.interpolate(s3, size=GRID, mode="bilinear", align_corners=False)
            stacked = torch.cat([s1, s2, s3], dim=1)[:, torch.from_numpy(self.subset)]
        return stacked.numpy()
