"""Drawing landmarks, boxes and region masks on RGB images for reports."""
import cv2
import numpy as np

__all__ = ["draw_landmarks", "overlay_mask", "draw_pose"]

# iBUG groups drawn as polylines: (first, last, closed)
_GROUPS = [(0, 16, False), (17, 21, False), (22, 26, False), (27, 30, False), (31, 35, False),
           (36, 41, True), (42, 47, True), (48, 59, True), (60, 67, True)]


def draw_landmarks(image: np.ndarray, landmarks: np.ndarray, box=None, numbers: bool = False) -> np.ndarray:
    """A copy of an RGB image with the 68 landmarks (and optionally the box) drawn on it."""
    out = image.copy()
    scale = max(1, round(max(image.shape[:2]) / 500))
    if box is not None:
        x0, y0, x1, y1 = [int(round(v)) for v in box]
        cv2.rectangle(out, (x0, y0), (x1, y1), (255, 200, 0), scale, cv2.LINE_AA)
    for first, last, closed in _GROUPS:
        pts = np.round(landmarks[first:last + 1] * 4).astype(np.int32)
        cv2.polylines(out, [pts], closed, (0, 255, 128), scale, cv2.LINE_AA, shift=2)
    for i, (x, y) in enumerate(landmarks):
        cv2.circle(out, (int(round(x * 4)), int(round(y * 4))), 4 * (scale + 1), (255, 40, 40), -1, cv2.LINE_AA, shift=2)
        if numbers:
            cv2.putText(out, str(i), (int(x) + 2, int(y) - 2), cv2.FONT_HERSHEY_SIMPLEX, 0.25 * scale,
                        (255, 255, 255), 1, cv2.LINE_AA)
    return out


def overlay_mask(image: np.ndarray, mask: np.ndarray, colour=(0, 160, 255), dim: float = 0.45) -> np.ndarray:
    """Dims everything outside a [0, 1] mask and tints the region, for showing what a region covers."""
    m = np.clip(mask, 0.0, 1.0)[..., None]
    base = image.astype(np.float32)
    tinted = 0.75 * base + 0.25 * np.float32(colour)
    out = m * tinted + (1.0 - m) * base * dim
    return np.clip(out, 0, 255).astype(np.uint8)


def draw_pose(image: np.ndarray, landmarks: np.ndarray, pose) -> np.ndarray:
    """A copy with an arrow from the nose tip where the face points (yaw right, pitch up), its
    length proportional to how far from frontal, plus the eye line showing roll."""
    out = image.copy()
    eye_distance = float(np.linalg.norm(landmarks[42:48].mean(0) - landmarks[36:42].mean(0)))
    length = 2.0 * eye_distance
    tip = landmarks[30]
    yaw, pitch = np.radians(pose.yaw), np.radians(pose.pitch)
    end = tip + length * np.array([np.sin(yaw), -np.sin(pitch) * np.cos(yaw)])
    thickness = max(1, round(max(image.shape[:2]) / 400))
    cv2.arrowedLine(out, tuple(int(v) for v in tip), tuple(int(v) for v in end), (255, 220, 0), thickness + 1,
                    cv2.LINE_AA, tipLength=0.2)
    r, l = landmarks[36:42].mean(0), landmarks[42:48].mean(0)
    cv2.line(out, tuple(int(v) for v in r), tuple(int(v) for v in l), (0, 200, 255), thickness, cv2.LINE_AA)
    return out
