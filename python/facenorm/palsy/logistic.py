"""A small L2-regularized logistic regression (Newton's method), exact and dependency-free, for
the palsy assessment: a handful of named features, standardized, so each coefficient reads as
the change in log-odds per standard deviation of its feature."""
from dataclasses import dataclass

import numpy as np

from .._core import InputError, ModelError

__all__ = ["Logistic", "fit_logistic"]


@dataclass
class Logistic:
    names: tuple          # feature names, in column order
    mean: np.ndarray      # standardization of each feature
    scale: np.ndarray
    coef: np.ndarray      # log-odds per standard deviation
    intercept: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, np.float64))
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(x)))

    def to_json(self) -> dict:
        return {"features": list(self.names), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "coef": self.coef.round(6).tolist(),
                "intercept": round(float(self.intercept), 6)}

    @classmethod
    def from_json(cls, d: dict, where: str = "model") -> "Logistic":
        try:
            m = cls(tuple(d["features"]), np.asarray(d["mean"], np.float64), np.asarray(d["scale"], np.float64),
                    np.asarray(d["coef"], np.float64), float(d["intercept"]))
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(f"{where}: expected features, mean, scale, coef and intercept ({e})") from None
        n = len(m.names)
        if not (m.mean.shape == m.scale.shape == m.coef.shape == (n,)) or not np.all(m.scale > 0):
            raise ModelError(f"{where}: expected {n} means, positive scales and coefficients")
        return m


def fit_logistic(x, y, names, penalty: float = 1.0, weights=None, iterations: int = 50) -> Logistic:
    """Maximum penalized likelihood: sum w_i log p(y_i) - penalty / 2 |coef|^2 (the intercept is
    not penalized); `weights` (default 1) balance classes or groups."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[1] != len(names):
        raise InputError(f"logistic: expected x (N, {len(names)}) and y (N,), got {x.shape} and {y.shape}")
    if len(set(y.tolist())) != 2 or not set(y.tolist()) <= {0.0, 1.0}:
        raise InputError("logistic: expected labels 0 and 1, both present")
    w = np.ones(len(y)) if weights is None else np.asarray(weights, np.float64)
    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-12] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    ridge = np.full(z.shape[1], penalty)
    ridge[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        grad = z.T @ (w * (y - p)) - ridge * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(ridge) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return Logistic(tuple(names), mean, scale, beta[:-1], float(beta[-1]))
