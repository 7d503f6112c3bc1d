"""Painting one seam's view of the warped ROI: an open gap (cavity, mucosa, gum, rim shadow) or
a repair's marks (scar, white roll). Only the rectangle that can be painted is taken to float,
painted and rounded back, and its texture noise is drawn for that rectangle alone: the rest of
the ROI is only warped."""
import numpy as np

from .paint_gap import gap_alpha, gap_colour, rim_shadow
from .paint_repair import scar_alpha_and_ridge, scar_colour, white_roll_alpha
from .shading import band_noise

__all__ = ["PAINTED", "paint_open", "paint_repair"]

PAINTED = 0.5 / 255.0  # coverage above which a pixel counts as changed


def _gap_box(b, hl, hm, margin: float) -> tuple:
    """Slices of a view's block around its open gap, `margin` px wider on every side."""
    rows, cols = np.nonzero((hl + hm > 0.05) & (b > -hm) & (b < hl))
    if len(rows) == 0:
        return slice(0, 0), slice(0, 0)
    m = int(np.ceil(margin))
    return (slice(max(rows.min() - m, 0), min(rows.max() + m + 1, b.shape[0])),
            slice(max(cols.min() - m, 0), min(cols.max() + m + 1, b.shape[1])))


def _within(block: tuple, box: tuple) -> tuple:
    """`box` (slices of `block`) as slices of the ROI."""
    return tuple(slice(outer.start + inner.start, outer.start + inner.stop) for outer, inner in zip(block, box))


def _store(warped, support, region, out, cover):
    warped[region] = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    support[region] |= cover > PAINTED


def paint_open(warped, support, view, block, p: dict, face, light, rng):
    """Paint an open gap into `warped` (uint8 ROI) and mark the pixels it covers in `support`;
    view: (side, seam, a, b, hl, hm) over `block` (slices of the ROI)."""
    _, seam, a, b, hl, hm = view
    box = _gap_box(b, hl, hm, 0.06 * face.mouth_width + 3)
    region = _within(block, box)
    a, b, hl, hm = a[box], b[box], hl[box], hm[box]
    if b.size == 0:
        return
    w = face.mouth_width
    noise = [band_noise(rng, b.shape, sigma) for sigma in (max(0.6, 0.004 * w), 0.025 * w, 0.006 * w)]
    out = warped[region].astype(np.float32)
    alpha, inside = gap_alpha(b, hl, hm, max(0.8, 0.012 * w))
    shade = rim_shadow(inside, hl + hm, 0.04 * w)
    colour = gap_colour(a, b, hl, hm, p, face, seam.site.free_margin, light[region], *noise)
    out *= shade[..., None]
    out += alpha[..., None] * (colour - out)
    _store(warped, support, region, out, np.maximum(alpha, 1.0 - shade))


def paint_repair(warped, support, view, block, p: dict, face, light, rng, xs, ys, roll):
    """Paint a repair's scar and white roll over the view's whole block; xs, ys: the ROI's pixel
    coordinates (broadcastable row and column), roll: the white roll's (start, end) points."""
    _, seam, a, b, _, _ = view
    out = warped[block].astype(np.float32)
    light = light[block][..., None]
    fine = band_noise(rng, b.shape, max(0.6, 0.004 * face.mouth_width))
    alpha, ridge = scar_alpha_and_ridge(a, b, p, seam.site, face, fine)
    out *= (1.0 + 0.08 * p["scar_strength"] * ridge)[..., None]
    out += alpha[..., None] * (scar_colour(p, face) * light - out)
    highlight = white_roll_alpha(xs[:, block[1]], ys[block[0]], roll[0], roll[1], p, face)
    out += highlight[..., None] * (face.skin_colour * 1.15 * light - out)
    _store(warped, support, block, out, np.maximum(alpha, np.maximum(np.abs(ridge) * 0.08, highlight)))
