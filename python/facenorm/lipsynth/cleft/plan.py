"""Every number of one synthetic cleft, drawn from the kind, the severity s and a seeded
generator, in units of the face's own sizes (W mouth width, N nose width, h the vermilion height
at the cleft, L the cleft's length from the vermilion border to the nostril sill). The returned
dict is the record of what was rendered (JSON-serializable); the renderer reads nothing else.

| parameter | unrepaired incomplete | unrepaired complete | repaired |
|---|---|---|---|
| peak_offset: cleft position from the bow peak towards 49/53 | 0.25-0.45 | 0.25-0.45 | 0.2-0.4 |
| gap_width (W) at the vermilion border | (0.03 + 0.10 s) x 0.85-1.15 | (0.06 + 0.20 s) x 0.85-1.15 | 0 |
| gap_top (L): the gap's apex | 0.2 + 0.6 s (a skin bridge remains) | 1.25 (through the sill into the nostril) | - |
| lateral_share of the opening | 0.5-0.65 | 0.5-0.65 | - |
| wall_wobble: the gap's width varies along it by this fraction (irregular walls) | 0.06-0.16 | 0.06-0.16 | - |
| edge_lift (W): both lip edges rise into the gap (most at the vermilion border) | 0.015 + 0.035 s | 0.03 + 0.05 s | - |
| depth: how dark the gap's middle gets | 0.5 + 0.3 s | 0.85 | - |
| gum_top (L): alveolar gum seen in the gap below this | none | 0.1-0.25 | - |
| peak_raise (W): the cleft-side bow peak moves up | 0.015 + 0.03 s | 0.03 + 0.04 s | 0.02 + 0.05 s |
| nose (N): alar base lateral / down, nostril floor lateral / down, dome down, columella base to the other side | half of complete | 0.20 / 0.10, 0.15 / 0.12, 0.15, 0.07 (x s) | 0.35 of complete |
| step (W): the lateral lip slides along the scar (white-roll step) | - | - | (0.012 + 0.03 s), up or down |
| scar_width (W), scar_strength, scar_tone | - | - | 0.010 + 0.012 s, 0.35 + 0.5 s, pale or pink |
| notch_depth (h), notch_width (W) | - | - | 0.15 + 0.5 s, 0.03 + 0.05 s |
| white_roll (alpha of the lateral white roll's highlight) | - | - | 0.12 + 0.15 s |

Bilateral clefts draw each side separately (gaps x 0.85) and raise the prolabium (51 by 0.08 W s,
the columella base 33 by 0.12 N s): a short columella over a small central lip segment.
"""
import numpy as np

__all__ = ["NOSE_COMPLETE", "plan_side", "plan_cleft"]

NOSE_COMPLETE = {"alar_lateral": 0.20, "alar_down": 0.10, "floor_lateral": 0.15, "floor_down": 0.12,
                 "dome_down": 0.15, "columella_shift": 0.07}


def _r(x, digits=4):
    return round(float(x), digits)


def _nose(scale: float, s: float) -> dict:
    return {k: _r(v * scale * s) for k, v in NOSE_COMPLETE.items()}


def plan_side(kind: str, severity: float, rng: np.random.Generator) -> dict:
    s = float(severity)
    if kind == "repaired":
        return {"peak_offset": _r(rng.uniform(0.2, 0.4)), "peak_raise": _r(0.02 + 0.05 * s),
                "step": _r((0.012 + 0.03 * s) * rng.choice([-1.0, 1.0])),
                "scar_width": _r(0.010 + 0.012 * s), "scar_strength": _r(0.35 + 0.5 * s),
                "scar_tone": str(rng.choice(["pale", "pink"])), "scar_curl": _r(rng.uniform(0.1, 0.35)),
                "scar_wobble_phase": _r(rng.uniform(0, 2 * np.pi)),
                "notch_depth": _r(0.15 + 0.5 * s), "notch_width": _r(0.03 + 0.05 * s),
                "white_roll": _r(0.12 + 0.15 * s), "nose": _nose(0.35, s)}
    complete = kind.endswith("_complete")
    narrower = 0.85 if kind.startswith("bilateral") else 1.0
    base, grow = (0.06, 0.20) if complete else (0.03, 0.10)
    return {"peak_offset": _r(rng.uniform(0.25, 0.45)),
            "gap_width": _r((base + grow * s) * rng.uniform(0.85, 1.15) * narrower),
            "gap_top": 1.25 if complete else _r(0.2 + 0.6 * s),
            "lateral_share": _r(rng.uniform(0.5, 0.65)),
            "wall_wobble": _r(rng.uniform(0.06, 0.16)), "wall_phase": _r(rng.uniform(0, 2 * np.pi)),
            "edge_lift": _r((0.03 + 0.05 * s) if complete else (0.015 + 0.035 * s)),
            "depth": 0.85 if complete else _r(0.5 + 0.3 * s),
            "gum_top": _r(rng.uniform(0.1, 0.25)) if complete else None,
            "peak_raise": _r((0.03 + 0.04 * s) if complete else (0.015 + 0.03 * s)),
            "nose": _nose(1.0 if complete else 0.5, s)}


def plan_cleft(kind: str, sides: tuple, severity: float, seed) -> dict:
    rng = np.random.default_rng(seed)
    plan = {"kind": kind, "sides": list(sides), "severity": _r(severity, 6),
            "seed": None if seed is None else int(seed),
            "per_side": {side: plan_side(kind, severity, rng) for side in sides},
            "texture_seed": int(rng.integers(2 ** 31))}
    if kind.startswith("bilateral"):
        complete = kind.endswith("_complete")
        plan["prolabium_raise"] = _r((0.08 if complete else 0.03) * severity)
        plan["columella_raise"] = _r((0.12 if complete else 0.04) * severity)
    return plan
