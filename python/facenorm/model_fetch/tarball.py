"""Reading the source tarball: one streaming pass, members written verified and atomically.

bzip2 decompression runs as its own process (lbzip2 or bzip2; Python's bz2 as the fallback);
each wanted member goes to a temp file in the destination, is checked against the manifest's
sha256, fsynced and renamed into place.
"""
import bz2
import contextlib
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path

from .. import models
from .._core import ModelError
from .results import log, result

__all__ = ["CHUNK", "extract_members", "open_tar_stream", "write_verified"]

CHUNK = 1 << 20


class _Progress:
    """A read-only file wrapper that logs how much of a big compressed file has been read."""

    def __init__(self, f, total: int, label: str):
        self.f, self.total, self.label, self.done, self.next_tenth = f, max(total, 1), label, 0, 1

    def read(self, n=-1):
        data = self.f.read(n)
        self.done += len(data)
        while self.done * 10 >= self.next_tenth * self.total and self.next_tenth <= 10:
            log(f"{self.label}: {self.next_tenth * 10}% of {self.total / 1e6:.0f} MB read")
            self.next_tenth += 1
        return data


def extract_members(archive: Path, members: dict, dest: Path) -> dict:
    """Streams the tarball once, writing each wanted member (member -> entry) verified into dest."""
    results, remaining = {}, dict(members)
    log(f"extracting {len(members)} model(s) from {archive.name} (one pass over the compressed stream)")
    try:
        with open_tar_stream(archive) as tar:
            for info in tar:
                entry = remaining.pop(info.name, None)
                if entry is None:
                    continue
                if not info.isfile():
                    error = f"{archive.name}:{info.name} is not a regular file"
                    results[entry["name"]] = result(entry, "error", error=error)
                else:
                    results[entry["name"]] = write_verified(tar.extractfile(info), entry, dest,
                                                            decompress=info.name.endswith(".bz2"))
                if not remaining:
                    break  # the rest of the stream holds nothing we need
    except (tarfile.TarError, EOFError, OSError) as e:
        raise ModelError(f"cannot read {archive}: {e}; delete it and run fetch-models again") from None
    for member, entry in remaining.items():
        results[entry["name"]] = result(entry, "error", error=f"{member} is not in {archive.name}")
    return results


@contextlib.contextmanager
def open_tar_stream(archive: Path):
    """A streaming TarFile over the archive.

    For .bz2, decompression is most of the time: Debian's bzip2 (lbzip2 if installed) runs as its
    own process so it overlaps with our hashing and writing on a second core; Python's bz2 is the
    fallback.
    """
    tool = (shutil.which("lbzip2") or shutil.which("bzip2")) if archive.name.endswith(".bz2") else None
    with open(archive, "rb") as raw:
        source = _Progress(raw, archive.stat().st_size, archive.name)
        if tool is None:
            with tarfile.open(fileobj=source, mode="r|*") as tar:
                yield tar
            return
        proc = subprocess.Popen([tool, "-dc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        feeder = threading.Thread(target=_feed, args=(source, proc.stdin), daemon=True)
        feeder.start()
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                yield tar
        finally:
            proc.stdout.close()  # we may stop early: the decompressor then just ends
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            feeder.join()


def _feed(source, sink) -> None:
    """Copies the compressed file into the decompressor's stdin (a thread, so both run at once)."""
    try:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            sink.write(chunk)
    except OSError:  # BrokenPipeError: the reader stopped early or the decompressor failed
        pass
    finally:
        try:
            sink.close()
        except OSError:
            pass


def write_verified(src, entry: dict, dest: Path, decompress: bool) -> dict:
    """Copies src to dest/<file> through a temp file; renames it into place only if sha256 matches."""
    target = dest / entry["file"]
    fd, tmp_name = tempfile.mkstemp(prefix=f".{entry['file']}.", suffix=".part", dir=dest)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        decompressor = bz2.BZ2Decompressor() if decompress else None
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                data = decompressor.decompress(chunk) if decompressor else chunk
                digest.update(data)
                out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != entry["sha256"]:
            tmp.unlink()
            return result(entry, "error", sha256=digest.hexdigest(),
                          error=f"{entry['file']} from the tarball has sha256 {digest.hexdigest()}, the manifest "
                                f"expects {entry['sha256']}: models/MANIFEST and the source package disagree")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)  # atomic: readers see the old file or the whole new one
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    models.remember_sha256(target, entry["sha256"])
    return result(entry, "fetched", target, entry["sha256"])
