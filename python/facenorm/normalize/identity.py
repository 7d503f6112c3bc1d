"""Identity distance: dlib's 128-D face-recognition embedding (ResNet, imported into libtorch and
validated against dlib's forward pass), on dlib's own 150 x 150 face chips. dlib's documented rule:
a Euclidean distance under 0.6 means the same person (99.38% on LFW)."""
import numpy as np

from .. import _core

__all__ = ["SAME_PERSON_DISTANCE", "EMBEDDING_MODEL", "face_embeddings", "identity_distance"]

SAME_PERSON_DISTANCE = 0.6
EMBEDDING_MODEL = "dlib_face_recognition_resnet_model_v1"


def face_embeddings(images, landmarks) -> np.ndarray:
    """float32 (N, 128) for RGB uint8 images with their float32 (68, 2) landmarks."""
    import torch
    from ..score.deep_features import load_network

    net = load_network(EMBEDDING_MODEL)
    chips = np.stack([_core.face_chip(np.ascontiguousarray(im), np.ascontiguousarray(lm, np.float32))
                      for im, lm in zip(images, landmarks)])
    x = torch.from_numpy(chips).permute(0, 3, 1, 2).float()
    with torch.no_grad():
        return net.forward(x).numpy().astype(np.float32)


def identity_distance(original, normalized, landmarks) -> float:
    """Embedding distance of a face and its normalized version (both chips cut with `landmarks`,
    the pair being pixel-aligned), < SAME_PERSON_DISTANCE = same person for this model."""
    e = face_embeddings([original, normalized], [landmarks, landmarks])
    return float(np.linalg.norm(e[0] - e[1]))
