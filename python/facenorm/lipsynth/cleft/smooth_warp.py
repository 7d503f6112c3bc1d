"""A smooth local warp through chosen points (nose and lip landmarks): radial basis functions
with Wendland's compactly supported kernel, so every pixel farther than `radius` from all the
points stays where it is, and each point's displacement is met exactly."""
import cv2
import numpy as np

__all__ = ["wendland", "SmoothWarp"]


def wendland(r):
    """phi(r) = (1 - r)^4 (4 r + 1) for r < 1, else 0: C2 and positive definite in 2D."""
    r = np.minimum(r, 1.0)
    q = (1.0 - r) * (1.0 - r)
    return q * q * (4.0 * r + 1.0)


class SmoothWarp:
    """Backward map x -> x - d(x), with d(centre_i) = delta_i (centres in output pixels)."""

    def __init__(self, centres: np.ndarray, deltas: np.ndarray, radius: float):
        self.centres = np.asarray(centres, np.float64).reshape(-1, 2)
        self.radius = float(radius)
        gram = wendland(np.linalg.norm(self.centres[:, None] - self.centres[None], axis=2) / self.radius)
        self.weights = np.linalg.solve(gram + 1e-9 * np.eye(len(gram)), np.asarray(deltas, np.float64).reshape(-1, 2))
        self.sources = self.centres - np.asarray(deltas, np.float64).reshape(-1, 2)  # backward(centre_i)

    def displacement_at(self, points: np.ndarray) -> np.ndarray:
        """d at (M, 2) points, (M, 2)."""
        return self._weighted(wendland(self._distances(points) / self.radius))

    def _weighted(self, phi: np.ndarray) -> np.ndarray:
        """phi (M, N) @ weights (N, 2) as two matrix-vector products: BLAS's matrix product is
        several times slower with 2 columns."""
        return np.stack([phi @ np.ascontiguousarray(self.weights[:, k]) for k in (0, 1)], axis=-1)

    def _grid_displacement(self, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """d at the nodes (gx[j], gy[i]), (rows, cols, 2): the squared distances summed from
        their separable parts and the kernel computed in place (on thousands of nodes, allocating
        temporaries costs more than the arithmetic)."""
        dx = gx[:, None] - self.centres[None, :, 0]
        dy = gy[:, None] - self.centres[None, :, 1]
        r = (dy * dy)[:, None, :] + (dx * dx)[None, :, :]
        np.sqrt(r, out=r)
        r /= self.radius
        np.minimum(r, 1.0, out=r)
        phi = 1.0 - r  # wendland(r), step by step
        phi *= phi
        phi *= phi
        r *= 4.0
        r += 1.0
        phi *= r
        return self._weighted(phi.reshape(-1, len(self.centres))).reshape(len(gy), len(gx), 2)

    def _distances(self, points: np.ndarray) -> np.ndarray:
        """(M, N) distances of points to the centres (x and y apart: a sum over a length-2 axis
        is several times slower)."""
        dx = points[:, 0, None] - self.centres[None, :, 0]
        dy = points[:, 1, None] - self.centres[None, :, 1]
        return np.sqrt(dx * dx + dy * dy)

    def backward_grid(self, x0: int, y0: int, width: int, height: int, step: float = 4.0):
        """Source coordinates (float32 (height, width) x and y) of the pixel box at (x0, y0): d is
        evaluated on a grid `step` px apart and interpolated bilinearly (it is smooth at the scale
        of its radius); the grid nodes sit where cv2.resize's pixel-centre convention puts them."""
        cols, rows = max(2, int(np.ceil(width / step))), max(2, int(np.ceil(height / step)))
        gx = x0 + (np.arange(cols) + 0.5) * (width / cols) - 0.5
        gy = y0 + (np.arange(rows) + 0.5) * (height / rows) - 0.5
        d = self._grid_displacement(gx, gy).astype(np.float32)
        d = cv2.resize(d, (width, height), interpolation=cv2.INTER_LINEAR)
        xs = np.arange(x0, x0 + width, dtype=np.float32)[None, :]
        ys = np.arange(y0, y0 + height, dtype=np.float32)[:, None]
        return xs - d[..., 0], ys - d[..., 1]

    def _displacement_and_jacobian(self, points: np.ndarray) -> tuple:
        """d at (M, 2) points and its derivatives along x and along y, each (M, 2); with
        phi'(r) = -20 r (1 - r)^3, grad phi = -20 (1 - r)^3 (x - c) / radius^2."""
        dx = points[:, 0, None] - self.centres[None, :, 0]
        dy = points[:, 1, None] - self.centres[None, :, 1]
        r = np.minimum(np.sqrt(dx * dx + dy * dy) / self.radius, 1.0)
        q = 1.0 - r
        q2 = q * q
        slope = (-20.0 / self.radius ** 2) * q2 * q
        return self._weighted(q2 * q2 * (4.0 * r + 1.0)), self._weighted(slope * dx), self._weighted(slope * dy)

    def forward_points(self, points: np.ndarray, iterations: int = 30, tolerance: float = 1e-3) -> np.ndarray:
        """x with x - d(x) = points, over the points within reach of the warp. Newton's method;
        each point takes whichever of Newton's step and the fixed-point step (x = points + d(x))
        leaves the smaller residual. Where |grad d| nears 1 the fixed-point iteration alone
        crawls; where it exceeds 1 (strong nose moves, bilateral complete clefts) it wanders off,
        so a point that is a centre's source starts at that centre, its exact answer."""
        x = points.astype(np.float64).copy()
        offsets = np.abs(points[:, None] - self.sources[None]).max(axis=2)
        own = offsets.argmin(axis=1)
        source = offsets[np.arange(len(points)), own] < 1e-6
        x[source] = self.centres[own[source]]
        active = np.flatnonzero(self._distances(points).min(axis=1) < 2.0 * self.radius)
        p, y = points[active], x[active]
        d, d_x, d_y = self._displacement_and_jacobian(y)
        for _ in range(iterations):
            residual = y - d - p
            going = np.abs(residual).max(axis=1) >= tolerance
            if not going.any():
                break
            active, p, y, d, d_x, d_y, residual = (v[going] for v in (active, p, y, d, d_x, d_y, residual))
            # the Jacobian of x - d(x) is [[1 - d0/dx, -d0/dy], [-d1/dx, 1 - d1/dy]]
            a, b, c, e = 1.0 - d_x[:, 0], -d_y[:, 0], -d_x[:, 1], 1.0 - d_y[:, 1]
            det = a * e - b * c
            det = np.where(np.abs(det) < 1e-9, 1e-9, det)
            newton = y - np.stack([e * residual[:, 0] - b * residual[:, 1],
                                   a * residual[:, 1] - c * residual[:, 0]], axis=1) / det[:, None]
            candidates = np.vstack([newton, p + d])
            cd, cd_x, cd_y = self._displacement_and_jacobian(candidates)
            errors = np.abs(candidates - cd - np.vstack([p, p])).max(axis=1).reshape(2, -1)
            pick = np.where(errors[0] <= errors[1], 0, 1) * len(y) + np.arange(len(y))
            y, d, d_x, d_y = candidates[pick], cd[pick], cd_x[pick], cd_y[pick]
            x[active] = y
        return x

    def support_corners(self) -> np.ndarray:
        r = self.radius
        return np.vstack([self.centres + [r, r], self.centres - [r, r]])
