"""Write-then-rename: a reader (or a crash) never sees a half-written table, picture or model
file. The one helper for every file facenorm writes whole."""
import json
import os
import threading
from typing import Callable

__all__ = ["atomic_write", "atomic_write_text", "atomic_json", "atomic_image"]


def atomic_write(path, write: Callable[[str], None], suffix: str = "") -> str:
    """Call write(temp_path) on a temporary file next to `path`, then rename it onto `path`.
    The temporary file is removed when write raises. Returns path as a str. suffix ends the
    temporary name (e.g. ".png" for writers that pick the format from the extension)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # same folder, so the rename stays on one file system; pid + thread keep writers apart
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{threading.get_ident()}.tmp{suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def atomic_write_text(path, text: str) -> str:
    """UTF-8 text, newlines written as given (CSV text carries its own \\r\\n)."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return atomic_write(path, write)


def atomic_json(path, document, indent: int = 2) -> str:
    """`document` as JSON text (a trailing newline), written atomically."""
    return atomic_write_text(path, json.dumps(document, indent=indent) + "\n")


def atomic_image(path, image) -> str:
    """An RGB uint8 image (format from path's extension, as _core.write_image), written atomically."""
    from . import _core
    return atomic_write(path, lambda tmp: _core.write_image(tmp, image), suffix=os.path.splitext(os.fspath(path))[1])
