"""Multi-output ridge regression, the linear step of each cascade stage.

One factorization-ready matrix serves every penalty tried; penalties are relative to the mean
feature variance (trace / D), so one grid fits features of any scale. With fewer samples than
features (a few hundred annotated photos against 4,896 features) the dual form is solved: the
N x N kernel instead of the D x D Gram matrix, the same weights (W = X^T (X X^T + l I)^-1 Y).
Optional per-sample weights let a few real photos count as much as many synthetic copies.
"""
import numpy as np

__all__ = ["RidgeProblem"]


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        from scipy.linalg import cho_factor, cho_solve
        return cho_solve(cho_factor(a, overwrite_a=True), b)
    except ImportError:
        return np.linalg.solve(a, b)


class RidgeProblem:
    def __init__(self, x: np.ndarray, y: np.ndarray, weights=None):
        x = np.asarray(x, np.float32)
        y = np.asarray(y, np.float64)
        if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < 2:
            raise ValueError(f"ridge: expected x (N, D) and y (N, K) with N >= 2, got {x.shape} and {y.shape}")
        w = np.ones(len(x)) if weights is None else np.asarray(weights, np.float64)
        if w.shape != (len(x),) or np.any(w < 0) or not w.sum() > 0:
            raise ValueError(f"ridge: expected {len(x)} non-negative sample weights")
        w = w / w.mean()
        self.x_mean = (w @ x.astype(np.float64)) / w.sum()
        self.y_mean = (w @ y) / w.sum()
        root = np.sqrt(w)
        centred = (x - self.x_mean.astype(np.float32)) * root[:, None].astype(np.float32)
        target = (y - self.y_mean) * root[:, None]
        self.dual = len(x) < x.shape[1]
        if self.dual:
            self.centred, self.target = centred, target
            self.kernel = (centred.astype(np.float64) @ centred.T.astype(np.float64))
            self.scale = float(np.trace(self.kernel)) / x.shape[1]
        else:
            self.gram = (centred.T @ centred).astype(np.float64)
            self.cross = centred.T.astype(np.float64) @ target
            self.scale = float(np.trace(self.gram)) / len(self.gram)

    def solve(self, penalty: float) -> tuple:
        """(weights (D, K), bias (K,)) so that y ~ x @ weights + bias."""
        ridge = penalty * self.scale + 1e-12
        if self.dual:
            alpha = _solve(self.kernel + ridge * np.eye(len(self.kernel)), self.target)
            weights = self.centred.T.astype(np.float64) @ alpha
        else:
            weights = _solve(self.gram + ridge * np.eye(len(self.gram)), self.cross)
        bias = self.y_mean - self.x_mean @ weights
        return weights.astype(np.float32), bias.astype(np.float32)
