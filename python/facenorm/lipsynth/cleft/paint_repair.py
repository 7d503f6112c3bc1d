"""The marks of a repaired cleft: a scar from the nostril sill down across the vermilion border
(Millard-like, curving towards the columella base at the top) and the lateral white roll lit
more than the medial one. The notch and the step are warps (geometry.py)."""
import numpy as np

from .ramps import clamp, smoothstep

__all__ = ["scar_alpha_and_ridge", "scar_colour", "white_roll_alpha"]


def scar_alpha_and_ridge(a, b, p: dict, site, face, fine):
    """(alpha, ridge): coverage of the scar and its raised profile's signed shading in [-1, 1]."""
    w, length = face.mouth_width, site.length
    centre = -p["scar_curl"] * length * np.maximum(a - 0.55, 0.0) ** 2 / 0.2
    centre = centre + 0.006 * w * np.sin(9.0 * a + p["scar_wobble_phase"])
    sigma = 0.5 * p["scar_width"] * w + 0.3
    across = (b - centre) / sigma
    profile = np.exp(-0.5 * across ** 2)
    along = smoothstep((a - 0.5 * site.free_margin) / 0.15) * smoothstep((1.05 - a) / 0.1)
    alpha = clamp(p["scar_strength"] * profile * along * (1.0 + 0.25 * fine), 0.0, 1.0)
    return alpha, -across * profile * along


def scar_colour(p: dict, face) -> np.ndarray:
    skin, lip = face.skin_colour, face.lip_colour
    if p["scar_tone"] == "pale":  # mature, hypopigmented
        return 0.6 * skin * 1.12 + 0.4 * skin.mean() * 1.12
    return (0.55 * skin + 0.45 * lip) * 1.04  # younger, pink


def white_roll_alpha(xs, ys, start, end, p: dict, face):
    """A highlight just above the lateral vermilion border, from the scar (`start`) to the next
    lateral lip point (`end`), fading towards `end`."""
    seg = end - start
    length2 = max(float(seg @ seg), 1e-6)
    t = clamp(((xs - start[0]) * seg[0] + (ys - start[1]) * seg[1]) / length2, 0.0, 1.0)
    lift = (0.7 + 0.012 * face.mouth_width) * face.down
    dx, dy = xs - (start[0] + t * seg[0] - lift[0]), ys - (start[1] + t * seg[1] - lift[1])
    width = 0.5 + 0.008 * face.mouth_width
    return p["white_roll"] * np.exp(-0.5 * (dx * dx + dy * dy) / width ** 2) * (1.0 - 0.7 * t)
