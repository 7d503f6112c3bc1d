"""ICMI 2024 lip-abnormality detection: (original, normalized) lip crop pairs for a Siamese CNN."""
