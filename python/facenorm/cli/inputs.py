"""Turning command-line inputs (files, folders, lists of paths) into a sorted list of images."""
from pathlib import Path

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def expand_image_inputs(inputs) -> list:
    """Folders are searched recursively (sorted); other paths are taken as given so that a
    missing or unreadable file is reported for that file rather than dropped silently."""
    paths = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            paths += sorted(str(q) for q in p.rglob("*") if q.suffix.lower() in IMAGE_EXTENSIONS and q.is_file())
        else:
            paths.append(str(p))
    return paths
