"""ICMI 2024 lip-abnormality detection: (original, normalized) lip crop pairs for a Siamese CNN."""

__all__ = []  # its modules are imported by path (facenorm.lipdetect.MODULE)
