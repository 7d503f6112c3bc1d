"""`facenorm score IMG --heatmap PNG` for the default appraisal: the canonical crop | the anomaly
map over the face | the inpainting mask | the normalized crop | the final heatmap (deep-feature
distance between the crop and its normalized version inside the region), caption below."""
import cv2
import numpy as np

from ..report.heatmap_figure import heatmap_overlay
from ..report.drawing import overlay_mask

__all__ = ["SIDE", "appraisal_figure"]

SIDE = 320


def _panel(image: np.ndarray, title: str) -> np.ndarray:
    panel = cv2.resize(image, (SIDE, SIDE), interpolation=cv2.INTER_LINEAR) if image.shape[0] != SIDE else image.copy()
    cv2.putText(panel, title, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 2, cv2.LINE_AA)
    cv2.putText(panel, title, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return panel


def appraisal_figure(appraisal, final_heatmap: np.ndarray, caption: str) -> np.ndarray:
    amap, passes = appraisal.anomaly_map, appraisal.passes
    crop = amap.crop.image
    region = amap.regions[appraisal.region]
    map_panel = heatmap_overlay(crop, np.maximum(amap.crop_map, 0), amap.face, vmax=max(6.0, float(amap.crop_map.max())),
                                label="map (z)", with_bar=False)
    hole = passes.union.astype(np.float32) / 255.0
    mask_panel = overlay_mask(crop, hole) if hole.any() else crop.copy()
    final = heatmap_overlay(crop, final_heatmap, region, label="feature", with_bar=False)
    panels = [_panel(crop, "face (aligned)"), _panel(map_panel, "anomaly map"),
              _panel(mask_panel, f"inpainting mask ({len(passes.masks)} passes)"),
              _panel(passes.normalized, "normalized"), _panel(final, f"heatmap in {appraisal.region}")]
    row = np.hstack(panels)
    strip = np.full((34, row.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, caption, (8, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([row, strip])
