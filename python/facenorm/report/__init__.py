"""Pictures and HTML reports (Python-side; nothing here is on a hot path)."""
from .drawing import draw_landmarks, draw_pose, overlay_mask  # noqa: F401
from .html import HtmlReport  # noqa: F401
from .heatmap_figure import colour_bar, heatmap_overlay, score_figure  # noqa: F401

__all__ = ["draw_landmarks", "draw_pose", "overlay_mask", "HtmlReport", "colour_bar", "heatmap_overlay",
           "score_figure"]
