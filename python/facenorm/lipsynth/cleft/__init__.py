"""Procedural, seeded cleft lips with appearance: unrepaired (a gap through the lip with cavity,
mucosa and gum; the nostril widened and flattened, the alar base displaced, the columella
tilted) and repaired (scar, notch, step, raised peak, nostril asymmetry). docs/cleft_synthesis.md."""
from .inputs import KINDS as CLEFT_KINDS, SIDES as CLEFT_SIDES  # noqa: F401
from .synthesize import CleftSynthesis, synthesize_cleft  # noqa: F401

__all__ = ["CLEFT_KINDS", "CLEFT_SIDES", "CleftSynthesis", "synthesize_cleft"]
