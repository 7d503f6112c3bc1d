"""PaDiM (Defard et al., 2021) on faces: one Gaussian per cell of the canonical crop's 27 x 27
feature grid, fitted in one pass over normal faces of every age and their mirrors.

Each cell keeps the mean and the shrunk covariance of its C-channel embedding,
    S' = (1 - a) S + a (tr S / C) I,
and the map is the Mahalanobis distance, standardized per cell by the mean and spread of the
distances of the fitting faces themselves, so 0 is an average normal face at that cell and 3 is
three of its standard deviations above (hair and background cells vary more than lip cells; the
standardization makes one threshold mean the same everywhere).
"""
import numpy as np

from .._core import InputError

__all__ = ["pack_symmetric", "unpack_symmetric", "MomentAccumulator", "mahalanobis", "mahalanobis_reference"]


def _packed_index(channels: int):
    return np.triu_indices(channels)


def pack_symmetric(matrices: np.ndarray) -> np.ndarray:
    """(L, C, C) symmetric -> (L, C (C + 1) / 2) upper triangles."""
    rows, cols = _packed_index(matrices.shape[-1])
    return matrices[:, rows, cols]


def unpack_symmetric(packed: np.ndarray, channels: int) -> np.ndarray:
    rows, cols = _packed_index(channels)
    out = np.zeros((packed.shape[0], channels, channels), dtype=np.float32)
    out[:, rows, cols] = packed
    out[:, cols, rows] = packed
    return out


class MomentAccumulator:
    """Running per-cell sums of x and x x^T over embeddings (N, C, G, G), in float64."""

    def __init__(self, channels: int, grid: int):
        self.channels, self.grid = channels, grid
        cells = grid * grid
        self.count = 0
        self.total = np.zeros((cells, channels))
        self.outer = np.zeros((cells, channels, channels))

    def add(self, embeddings: np.ndarray) -> None:
        x = np.asarray(embeddings, dtype=np.float64).reshape(len(embeddings), self.channels, -1).transpose(2, 0, 1)
        self.count += x.shape[1]
        self.total += x.sum(axis=1)
        self.outer += np.einsum("lni,lnj->lij", x, x, optimize=True)

    def gaussians(self, shrinkage: float):
        if self.count < 2:
            raise InputError("PaDiM fit: needs at least two faces")
        mean = self.total / self.count
        cov = (self.outer - self.count * np.einsum("li,lj->lij", mean, mean)) / (self.count - 1)
        trace = np.trace(cov, axis1=1, axis2=2) / self.channels
        eye = np.eye(self.channels)
        cov = (1.0 - shrinkage) * cov + shrinkage * trace[:, None, None] * eye
        return mean, np.linalg.inv(cov)


def mahalanobis(embeddings: np.ndarray, mean: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """embeddings (N, C, G, G), mean (L, C), precision (L, C, C) -> distances (N, G, G)."""
    n, channels, grid, _ = embeddings.shape
    delta = embeddings.reshape(n, channels, -1).transpose(2, 0, 1).astype(np.float32) - mean[:, None, :]
    squared = np.einsum("lni,lij,lnj->ln", delta, precision, delta, optimize=True)
    return np.sqrt(np.maximum(squared, 0.0)).T.reshape(n, grid, grid)


def mahalanobis_reference(embedding: np.ndarray, mean: np.ndarray, covariance_inverse: np.ndarray) -> np.ndarray:
    """The slow reference of `mahalanobis` for one face: a Python loop over cells in float64."""
    channels, grid, _ = embedding.shape
    out = np.empty(grid * grid)
    x = embedding.reshape(channels, -1).astype(np.float64)
    for cell in range(grid * grid):
        d = x[:, cell] - mean[cell]
        out[cell] = np.sqrt(max(d @ covariance_inverse[cell] @ d, 0.0))
    return out.reshape(grid, grid)
