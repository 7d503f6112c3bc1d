"""Turning command-line image inputs (folders, image files, text files listing images) into one
ordered list of image paths: the one expansion every command that takes images uses (prepare,
classify, landmarks, palsy, demo, the training and evaluation jobs)."""
import os
from pathlib import Path

from .._core import InputError, MissingFileError

__all__ = ["IMAGE_EXTENSIONS", "is_image_name", "images_in_folder", "images_in_list_file", "collect_image_paths"]

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def is_image_name(path) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def images_in_folder(folder: Path) -> list:
    """Image files under `folder`, recursively, sorted so every run sees the same order. A
    dangling symlink or an unreadable file with an image name is kept, so that the command reports
    it (as an error entry, or in a dataset's `skipped` table) instead of losing it."""
    return sorted(str(p) for p in Path(folder).rglob("*")
                  if is_image_name(p) and (p.is_symlink() or not p.is_dir()))


def images_in_list_file(list_file: Path) -> list:
    """One image path (or folder) per line; blank lines and lines starting with # are ignored.
    Relative paths are relative to the list file's folder, so a list travels with its images."""
    try:
        text = list_file.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        text = "\0"
    if "\0" in text:
        raise InputError(f"{list_file}: expected an image ({', '.join(sorted(IMAGE_EXTENSIONS))}), a folder "
                         f"or a UTF-8 text file listing image paths one per line")
    paths = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        path = list_file.parent / line
        paths += images_in_folder(path) if path.is_dir() else [str(path)]
    return paths


def collect_image_paths(inputs, absolute: bool = True) -> list:
    """Image paths, in argument order, folders expanded and sorted, duplicates dropped.

    A path with an image extension is kept even when missing, unreadable or a dangling symlink,
    so that it is reported as an error or skipped rather than dropped silently; any other file is
    read as a list of paths. absolute=False keeps each path as given (a folder's images joined to
    the folder as given), for commands that print the paths they were given.
    """
    paths = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            paths += images_in_folder(p)
        elif is_image_name(p):
            paths.append(os.fspath(item))
        elif p.is_file():
            paths += images_in_list_file(p)
        else:
            raise MissingFileError(f"{p}: no such folder, image or list file")
    unique = dict.fromkeys(os.path.abspath(p) for p in paths)
    if absolute:
        return list(unique)
    kept, seen = [], set()
    for p in paths:
        if os.path.abspath(p) not in seen:
            seen.add(os.path.abspath(p))
            kept.append(p)
    return kept
