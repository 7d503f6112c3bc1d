"""The face's own frame, sizes and colours, so a cleft scales from an infant to an adult face
at any resolution and takes the face's own lip and skin tones."""
from dataclasses import dataclass

import numpy as np

from ..._core import InputError

__all__ = ["FaceMeasures", "measure_face"]


@dataclass
class FaceMeasures:
    right: np.ndarray       # unit vector towards the image right, along the eye line
    down: np.ndarray        # unit vector down the face
    mouth_width: float      # |54 - 48| px
    nose_width: float       # |35 - 31| px
    eye_distance: float     # between the eye centres, px
    lip_height: float       # upper vermilion: 51 to the inner upper lip 62, px (at least 0.08 mouth widths)
    lip_colour: np.ndarray  # float32 RGB, median of the vermilion
    skin_colour: np.ndarray  # float32 RGB, median of the upper-lip skin

    def to_json(self) -> dict:
        return {"mouth_width_px": round(self.mouth_width, 3), "nose_width_px": round(self.nose_width, 3),
                "eye_distance_px": round(self.eye_distance, 3), "lip_height_px": round(self.lip_height, 3),
                "lip_rgb": [round(float(c), 1) for c in self.lip_colour],
                "skin_rgb": [round(float(c), 1) for c in self.skin_colour]}


def _median_colour(image, points) -> np.ndarray:
    h, w = image.shape[:2]
    xs = np.clip(np.round(points[:, 0]).astype(int)[:, None] + np.array([-1, 0, 1]), 0, w - 1)
    ys = np.clip(np.round(points[:, 1]).astype(int)[:, None] + np.array([-1, 0, 1]), 0, h - 1)
    samples = image[ys[:, :, None], xs[:, None, :]].reshape(-1, 3)
    return np.median(samples, axis=0).astype(np.float32)


def measure_face(image, landmarks) -> FaceMeasures:
    p = landmarks.astype(np.float64)
    right_eye, left_eye = p[36:42].mean(0), p[42:48].mean(0)
    eye_distance = float(np.linalg.norm(left_eye - right_eye))
    mouth_width = float(np.linalg.norm(p[54] - p[48]))
    nose_width = float(np.linalg.norm(p[35] - p[31]))
    if min(eye_distance, mouth_width, nose_width) < 2.0:
        raise InputError(f"landmarks: a face this small cannot show a cleft (eye distance {eye_distance:.1f} px, "
                         f"mouth width {mouth_width:.1f} px, nose width {nose_width:.1f} px; expected at least 2 px)")
    right = (left_eye - right_eye) / eye_distance
    down = np.array([-right[1], right[0]])
    lip_height = max(float((p[62] - p[51]) @ down), 0.08 * mouth_width)
    vermilion = np.vstack([(p[[49, 50, 51, 52, 53]] + p[[61, 61, 62, 63, 63]]) / 2, (p[[56, 57, 58]] + p[[65, 66, 67]]) / 2])
    skin = (p[[31, 32, 33, 34, 35]] + p[[49, 50, 51, 52, 53]]) / 2
    return FaceMeasures(right, down, mouth_width, nose_width, eye_distance, lip_height,
                        _median_colour(image, vermilion), _median_colour(image, skin))
