"""dlib's shape predictor retrained here (ensemble of regression trees): on annotated photos,
normal faces with dlib's points as pseudo-labels and their palsy-like copies (docs/palsy.md)."""

__all__ = []  # its modules are imported by path (facenorm.landmarks.ert.MODULE)
