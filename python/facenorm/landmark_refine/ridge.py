"""Multi-output ridge regression, the linear step of each cascade stage.

One Gram matrix serves every penalty tried; penalties are relative to the mean feature variance
(trace / D), so one grid fits features of any scale.
"""
import numpy as np


class RidgeProblem:
    def __init__(self, x: np.ndarray, y: np.ndarray):
        x = np.asarray(x, np.float32)
        y = np.asarray(y, np.float64)
        if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < 2:
            raise ValueError(f"ridge: expected x (N, D) and y (N, K) with N >= 2, got {x.shape} and {y.shape}")
        self.x_mean = x.mean(0, dtype=np.float64)
        self.y_mean = y.mean(0)
        centred = x - self.x_mean.astype(np.float32)
        self.gram = (centred.T @ centred).astype(np.float64)
        self.cross = centred.T.astype(np.float64) @ (y - self.y_mean)
        self.scale = float(np.trace(self.gram)) / len(self.gram)

    def solve(self, penalty: float) -> tuple:
        """(weights (D, K), bias (K,)) so that y ~ x @ weights + bias."""
        a = self.gram + (penalty * self.scale + 1e-12) * np.eye(len(self.gram))
        try:
            from scipy.linalg import cho_factor, cho_solve
            weights = cho_solve(cho_factor(a, overwrite_a=True), self.cross)
        except ImportError:
            weights = np.linalg.solve(a, self.cross)
        bias = self.y_mean - self.x_mean @ weights
        return weights.astype(np.float32), bias.astype(np.float32)
