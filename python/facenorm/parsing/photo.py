"""Face parsing of an ordinary photo: the face is first aligned into CelebAMask-HQ's frame (the
frame the parser was trained in: 512 px, eyes 127 px apart, eye midpoint at (0.5, 0.482) of the
side, measured on the shared faces), parsed, and the palsy region (FPP) is summarized per side."""
from dataclasses import dataclass

import numpy as np

from .. import _core
from .labels import CLASSES, FPP, overlay

__all__ = ["FRAME_SIZE", "FRAME_EYE_DISTANCE", "FRAME_EYES_X", "FRAME_EYES_Y", "PhotoParsing", "parse_photo"]

FRAME_SIZE = 512
FRAME_EYE_DISTANCE = 127.0
FRAME_EYES_X, FRAME_EYES_Y = 0.5, 0.482


@dataclass
class PhotoParsing:
    image: np.ndarray        # RGB uint8 (512, 512, 3): the face aligned into the parser's frame
    labels: np.ndarray       # uint8 (512, 512) class ids (facenorm.parsing.labels.CLASSES)
    landmarks: np.ndarray    # float32 (68, 2) in the frame

    def summary(self) -> dict:
        """FPP share of the face (every class but background and hair), overall and per side of
        the midline (the subject's right is the image's left)."""
        face = (self.labels != CLASSES.index("background")) & (self.labels != CLASSES.index("hair"))
        fpp = self.labels == FPP
        midline = float(self.landmarks[27:31, 0].mean())  # the nose bridge
        columns = np.arange(self.labels.shape[1])[None, :]
        right, left = columns < midline, columns >= midline

        def share(mask):
            area = int((face & mask).sum())
            return round(float((fpp & mask).sum()) / area, 4) if area else 0.0

        everywhere = np.ones_like(fpp)
        return {"fpp_fraction": share(everywhere), "fpp_right": share(right), "fpp_left": share(left),
                "side": "none" if not fpp.any() else ("right" if share(right) > share(left) else "left")}

    def overlay(self, alpha: float = 0.45) -> np.ndarray:
        return overlay(self.image, self.labels, alpha)


def parse_photo(parser, image: np.ndarray, landmarks: np.ndarray) -> PhotoParsing:
    """parser: a FaceParser; image RGB uint8 (H, W, 3); landmarks float32 (68, 2) pixels of it."""
    aligned = _core.align_face(image, landmarks, size=FRAME_SIZE, eye_distance=FRAME_EYE_DISTANCE,
                               eyes_x=FRAME_EYES_X, eyes_y=FRAME_EYES_Y)
    return PhotoParsing(aligned.image, parser.parse(aligned.image), aligned.landmarks)
