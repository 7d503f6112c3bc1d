"""Where a cleft lies on one side of the face, as a frame along the cleft.

The cleft runs from the vermilion border V, between the cupid's-bow peak and the next lateral
point (a fraction `peak_offset` of the way from 50 to 49, or from 52 to 53), up to the nostril
sill S (a quarter of the way from the nostril floor 32/34 to the alar base 31/35). Coordinates of a
point y: a = (y - V) . up / |S - V| (0 at the vermilion border, 1 at the sill, negative in the
red lip, `free_margin` at the upper lip's lower edge) and b = (y - V) . lateral in pixels
(positive towards the cheek)."""
from dataclasses import dataclass

import numpy as np

__all__ = ["SIDE_POINTS", "CleftSite", "cleft_site"]

# the subject's side -> (peak, lateral lip point, inner lip point, alar base, nostril floor)
SIDE_POINTS = {"right": (50, 49, 61, 31, 32), "left": (52, 53, 63, 35, 34)}


@dataclass
class CleftSite:
    side: str
    vermilion: np.ndarray  # V, px
    sill: np.ndarray       # S, px
    up: np.ndarray         # unit, V -> S
    lateral: np.ndarray    # unit, perpendicular to up, towards the cheek
    length: float          # |S - V| px
    free_margin: float     # a of the upper lip's free margin (< 0)

    def coords(self, xs, ys):
        """(a, b) of pixel or point coordinates (arrays of any shape)."""
        dx, dy = xs - self.vermilion[0], ys - self.vermilion[1]
        a = (dx * self.up[0] + dy * self.up[1]) / self.length
        b = dx * self.lateral[0] + dy * self.lateral[1]
        return a, b

    def point(self, a, b) -> np.ndarray:
        """Pixel position of (a, b)."""
        return self.vermilion + a * self.length * self.up + b * self.lateral

    def to_json(self) -> dict:
        return {"vermilion_px": [round(float(c), 2) for c in self.vermilion],
                "sill_px": [round(float(c), 2) for c in self.sill], "length_px": round(self.length, 3),
                "free_margin": round(self.free_margin, 4)}


def cleft_site(landmarks, face, side: str, peak_offset: float) -> CleftSite:
    peak, lateral_lip, inner, alar, floor = SIDE_POINTS[side]
    p = landmarks.astype(np.float64)
    towards_cheek = face.right if side == "left" else -face.right
    v = p[peak] + peak_offset * (p[lateral_lip] - p[peak])
    s = p[floor] + 0.25 * (p[alar] - p[floor])
    rise = (v - s) @ face.down
    if rise < 0.15 * face.mouth_width:  # a sill at or below the lip (odd landmarks): go straight up instead
        s = s + (0.15 * face.mouth_width - rise) * -face.down
    up = (s - v) / np.linalg.norm(s - v)
    lateral = towards_cheek - (towards_cheek @ up) * up
    lateral /= np.linalg.norm(lateral)
    length = float(np.linalg.norm(s - v))
    vermilion_height = max(float((p[inner] - p[peak]) @ face.down), 0.08 * face.mouth_width)
    return CleftSite(side, v, s, up, lateral, length, -vermilion_height / length)
