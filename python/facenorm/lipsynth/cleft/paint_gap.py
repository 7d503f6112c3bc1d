"""The inside of an open cleft: mucosa on the walls, dark cavity in the depth, alveolar gum
low in a complete cleft (with its own cleft as a dark slit), a shadow where the skin rolls into
the gap. Colours come from the face's own lip; brightness follows the face's local light."""
import numpy as np

from .ramps import clamp, smoothstep

__all__ = ["gap_alpha", "gap_colour", "rim_shadow"]


def gap_alpha(b, hl, hm, feather: float):
    """Coverage of the gap, feathered over `feather` px across its edges; also the signed
    distance inside it (px, negative outside)."""
    inside = np.minimum(b + hm, hl - b)
    return clamp(0.5 + inside / feather, 0.0, 1.0) * (hl + hm > 0.05), inside


def gap_colour(a, b, hl, hm, p: dict, face, free_margin: float, light, fine, coarse, speck):
    """float32 (..., 3) colour of the gap at (a, b): a lit mucosa rim on each wall, dark cavity
    in the middle (darker towards the nose), and in a complete cleft the alveolar gum as a
    rounded ridge low in the gap, split by its own dark cleft."""
    lip = face.lip_colour
    mucosa = lip * np.float32([1.02, 0.80, 0.82])
    cavity = lip * np.float32([0.13, 0.07, 0.08])
    t = clamp((b + hm) / np.maximum(hl + hm, 1e-6), 0.0, 1.0)
    centre = 1.0 - np.abs(2.0 * t - 1.0)  # 0 at the walls, 1 in the middle
    deeper_up = 0.8 + 0.2 * clamp(a, 0.0, 1.0)
    dark = (p["depth"] * deeper_up * smoothstep(centre / 0.75))[..., None]
    colour = mucosa * (1.0 - dark) + cavity * dark
    if p["gum_top"] is not None:
        gum = (0.7 * lip + 0.3 * face.skin_colour) * np.float32([0.98, 0.80, 0.82])
        top = free_margin + (p["gum_top"] - free_margin) * (1.0 - 0.45 * (2.0 * t - 1.0) ** 2)
        ridge = smoothstep((top - a) / 0.1)
        slit = np.exp(-(((t - 0.5) / 0.07) ** 2))
        cover = (0.85 * ridge * (1.0 - 0.9 * slit))[..., None]
        gum_lit = gum * (0.55 + 0.45 * np.sqrt(centre))[..., None]  # a rounded ridge, lit on its crest
        colour = colour * (1.0 - cover) + gum_lit * cover
    texture = (1.0 + 0.05 * fine + 0.05 * coarse)[..., None]
    rim = np.exp(-((centre / 0.3) ** 2))
    wet = (clamp(speck - 1.8, 0.0, 1.0) * rim * 90.0)[..., None]  # moist highlights on the walls
    return colour * light[..., None] * texture + wet


def rim_shadow(inside, opening, width: float):
    """Darkening of the tissue just outside the gap, where the lip's edge rolls in (a factor
    <= 1; 1 beyond `width` px and where the gap is closed, `opening` its local width in px)."""
    outside = np.maximum(-inside, 0.0)
    near = np.exp(-outside / max(0.35 * width, 0.3)) * (outside < width) * (inside <= 0)
    return 1.0 - 0.28 * near * clamp(opening / max(width, 1e-6), 0.0, 1.0)
