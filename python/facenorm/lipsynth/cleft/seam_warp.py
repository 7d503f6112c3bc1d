"""The warp along a cleft: the tissue on either side of the cleft line moves apart (an open
cleft) or slides along it (the step of a repaired lip), and the motion fades to nothing within a
few millimetres. Backward map: for an output pixel y it gives where its content comes from.

In the site's frame (cleft_site): the gap spans -medial_width(a) < b < lateral_width(a). A pixel
lateral of it takes its content from b - lateral_width(a) k(t), t = (b - lateral_width) /
(lateral_radius - lateral_width), with k = 1 - smoothstep: the cleft's edge is carried as a
whole, the cheek beyond lateral_radius not at all; the same mirrored on the medial side. For
fixed a the map is monotone in b (its Jacobian is triangular with a positive diagonal), so it
never folds. A lateral slide (repair step) moves content along the cleft by step(a) k(t).
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .ramps import fade

__all__ = ["SeamWarp"]


@dataclass
class SeamWarp:
    site: object                  # CleftSite
    width: Callable               # a -> total gap width, px (0 where there is no gap)
    lateral_share: float          # part of the width the lateral segment retracts
    lateral_radius: float         # px from the gap edge where the lateral motion has faded
    medial_radius: float
    step: Callable = None         # a -> slide of the lateral side along the cleft, px (repairs)
    lift: Callable = None         # a -> rise of the tissue at the cleft line, px (edges of an open cleft, a repair's notch)
    lift_radius: float = 1.0      # px from the gap edge where the rise has faded

    def _widths(self, a):
        w = self.width(a)
        return self.lateral_share * w, (1.0 - self.lateral_share) * w

    def _lateral_shift(self, b, hl, step, lift):
        """(shift along the lateral direction, shift along up) of the source, for lateral pixels;
        step and lift: _step(a) and _lift(a), computed once for both sides."""
        k = fade((b - hl) / np.maximum(self.lateral_radius - hl, 1e-6))
        along = -step * k - lift * fade((b - hl) / self.lift_radius)
        return -hl * k, along

    def _medial_shift(self, b, hm, lift):
        """(across, along) for medial pixels."""
        k = fade((-b - hm) / np.maximum(self.medial_radius - hm, 1e-6))
        return hm * k, -lift * fade((-b - hm) / self.lift_radius)

    def _step(self, a):
        return self.step(a) if self.step is not None else 0.0

    def _lift(self, a):
        return self.lift(a) if self.lift is not None else 0.0

    def backward(self, xs, ys):
        """Source coordinates of the pixels (xs, ys) and the seam's view of them:
        (src_x, src_y, a, b, lateral_width, medial_width). Gap pixels take the cleft line (b = 0)."""
        s = self.site
        a, b = s.coords(xs, ys)
        hl, hm = self._widths(a)
        lateral, medial = b >= hl, b <= -hm
        lift = self._lift(a)
        across_l, along_l = self._lateral_shift(b, hl, self._step(a), lift)
        across_m, along_m = self._medial_shift(b, hm, lift)
        across = np.where(lateral, across_l, np.where(medial, across_m, -b))
        along = np.where(lateral, along_l, np.where(medial, along_m, 0.0))
        src_x = xs + across * s.lateral[0] + along * s.up[0]
        src_y = ys + across * s.lateral[1] + along * s.up[1]
        return src_x, src_y, a, b, hl, hm

    def _source_of_points(self, y: np.ndarray, lateral: np.ndarray) -> np.ndarray:
        """backward for (M, 2) points, each on the side `lateral` says (its gap edge if inside)."""
        s = self.site
        a, b = s.coords(y[:, 0], y[:, 1])
        hl, hm = self._widths(a)
        lift = self._lift(a)
        across_l, along_l = self._lateral_shift(np.maximum(b, hl), hl, self._step(a), lift)
        across_m, along_m = self._medial_shift(np.minimum(b, -hm), hm, lift)
        across = np.where(lateral, across_l + np.minimum(b - hl, 0.0), across_m + np.maximum(b + hm, 0.0))
        along = np.where(lateral, along_l, along_m)
        return y + across[:, None] * s.lateral + along[:, None] * s.up

    def _sources_and_probes(self, ys: np.ndarray, lateral: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """_source_of_points at ys (K, M, 2) + each of `steps` (S, 2), in one call: (K, S, M, 2)."""
        k, m, _ = ys.shape
        probed = ys[:, None] + steps[None, :, None]
        return self._source_of_points(probed.reshape(-1, 2), np.tile(lateral, k * len(steps))).reshape(k, len(steps), m, 2)

    def forward_points(self, points: np.ndarray, iterations: int = 12, tolerance: float = 1e-3) -> np.ndarray:
        """Where the content at `points` (N, 2) ends up: the inverse of backward, each point kept
        on its own side of the cleft line. Newton's method with a finite-difference Jacobian; each
        point takes whichever of Newton's step, the fixed-point step (y += residual: the map is
        near a translation) or their halves leaves it nearest, so the steep ends of the gap,
        where either alone can overshoot, converge too. Where the rise of the edges meets the
        gap's rounded bottom the map can squeeze a point's neighbourhood nearly flat; a point
        there (the inner lip beside a wide complete cleft) keeps its best estimate after
        `iterations` (about 1 px off at worst, measured)."""
        _, b0 = self.site.coords(points[:, 0], points[:, 1])
        out = points.astype(np.float64).copy()
        # a point's source and its two Jacobian probes are evaluated together, and all candidates
        # of an iteration in one call: on ~10 points numpy's per-call cost dominates the arithmetic
        h = 1e-3
        steps = np.array([[0.0, 0.0], [h, 0.0], [0.0, h]])
        s, sx, sy = self._sources_and_probes(out[None], b0 >= 0.0, steps)[0]
        active = np.flatnonzero(np.abs(points - s).max(axis=1) >= tolerance)  # most points: far, unmoved
        if len(active) == 0:
            return out
        p, lateral, y, s, sx, sy = (v[active] for v in (points, b0 >= 0.0, out, s, sx, sy))
        for _ in range(iterations):
            residual = p - s
            jx, jy = (sx - s) / h, (sy - s) / h
            det = jx[:, 0] * jy[:, 1] - jy[:, 0] * jx[:, 1]
            det = np.where(np.abs(det) < 1e-9, 1e-9, det)
            newton = np.stack([jy[:, 1] * residual[:, 0] - jy[:, 0] * residual[:, 1],
                               jx[:, 0] * residual[:, 1] - jx[:, 1] * residual[:, 0]], axis=1) / det[:, None]
            # per point, the best of: Newton's step, half of it, the fixed-point step, half of it
            candidates = np.stack([y + newton, y + 0.5 * newton, y + residual, y + 0.5 * residual])
            evaluated = self._sources_and_probes(candidates, lateral, steps)
            best = np.argmin(np.abs(p - evaluated[:, 0]).max(axis=2), axis=0)
            pick = np.arange(len(best))
            y, (s, sx, sy) = candidates[best, pick], evaluated[best, :, pick].transpose(1, 0, 2)
            out[active] = y
            going = np.abs(p - s).max(axis=1) >= tolerance
            if not going.any():
                break
            active, p, lateral, y, s, sx, sy = (v[going] for v in (active, p, lateral, y, s, sx, sy))
        return out

    def support_corners(self, a_low: float, a_high: float) -> np.ndarray:
        """Four pixel positions whose bounding box holds every pixel this warp changes."""
        s = self.site
        return np.array([s.point(a, b) for a in (a_low, a_high) for b in (-self.medial_radius, self.lateral_radius)])
