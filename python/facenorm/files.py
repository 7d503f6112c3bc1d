"""Write-then-rename: a reader (or a crash) never sees a half-written table, picture or model
file. The one helper for every file facenorm writes whole."""
import contextlib
import errno
import json
import os
import shutil
import tempfile
import threading
from typing import Callable

from ._core import InputError

__all__ = ["atomic_write", "atomic_write_text", "atomic_json", "atomic_image", "atomic_folder", "OutputPathError",
           "check_output_path"]


def _naming(error: BaseException, temporary: str, final: str) -> BaseException:
    """`error` with the temporary path in its message replaced by the path the user gave."""
    if isinstance(error, OSError) and error.errno is not None and error.filename in (None, temporary):
        return type(error)(error.errno, error.strerror, final)  # ENOSPC from write() names no file
    text = str(error)
    if isinstance(error, Exception) and not isinstance(error, OSError) and temporary in text:
        try:
            return type(error)(text.replace(temporary, final))
        except TypeError:
            pass
    return error


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
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        renamed = _naming(e, tmp, path)
        if renamed is e:
            raise
        raise renamed from e
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


@contextlib.contextmanager
def atomic_folder(path):
    """Build a folder whole: yields a temporary sibling of `path` to fill; on success it replaces
    `path` (an older folder there is removed after the swap), on any error it is removed, so a
    failed run leaves neither a half-written folder nor a changed old one."""
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".partial", dir=parent)
    try:
        yield tmp
        old = None
        if os.path.isdir(path):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".old", dir=parent)
            os.replace(path, os.path.join(old, "folder"))
        os.replace(tmp, path)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        renamed = _naming(e, tmp, path)
        if renamed is e:
            raise
        raise renamed from e


class OutputPathError(InputError):
    """An output path facenorm cannot write: refused before any work starts."""


def check_output_path(path, kind: str = "file") -> str:
    """Refuse (OutputPathError, naming the path) an output `path` that cannot be written: kind
    "file" or "folder" (None: either); an existing path of the other kind; a path under a regular
    file; a folder where no file can be created (read-only, /proc, no permission). Creates
    nothing that stays. Returns path as a str."""
    text = os.fspath(path)
    if not text:
        raise OutputPathError("output path: expected a path, got an empty string")
    full = os.path.abspath(text)
    if os.path.isdir(full):
        if kind == "file":
            raise OutputPathError(f"{text}: is a folder; expected a file to write")
        probe = full
    elif os.path.lexists(full):
        if kind == "folder":
            raise OutputPathError(f"{text}: exists and is not a folder; expected a folder to write into")
        probe = os.path.dirname(full)
    else:
        probe = os.path.dirname(full)
        while not os.path.lexists(probe):
            probe = os.path.dirname(probe)
        if not os.path.isdir(probe):
            raise OutputPathError(f"{text}: cannot be created: {probe} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        reason = os.strerror(e.errno) if e.errno else str(e)
        raise OutputPathError(f"{text}: cannot be written: cannot create a file in {probe} ({reason})") from None
    if os.path.lexists(full) and not os.path.isdir(full) and not os.access(full, os.W_OK):
        raise OutputPathError(f"{text}: cannot be written: {os.strerror(errno.EACCES)}")
    return text
