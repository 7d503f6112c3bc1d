"""The fetch step: what is already in place, which tarballs to get, and getting them.

Decides per model whether a verified copy exists (dest or the Debian system path), groups the
missing ones by source tarball, takes each tarball from the cache when a cached .dsc vouches for
it (else downloads it with `apt`, an AptSource or a stand-in) and extracts the members.
"""
import os
import re
import shutil
import tempfile
from pathlib import Path

from .. import models
from .._core import ModelError
from .results import log, result
from .tarball import extract_members

__all__ = ["check", "find_good_copy", "debsrc_source", "missing_message", "fetch", "ensure_writable",
           "warn_if_shadowed", "obtain_tarball", "dsc_sha256"]


def check(entries: dict) -> list:
    """--check: what resolve() finds for each model, downloading and writing nothing."""
    out = []
    for name, entry in entries.items():
        try:
            path = models.resolve(name)
            out.append(result(entry, "ok", path, models.cached_sha256(path)))
        except ModelError as e:
            status = "error" if any(p.is_file() for p in models.candidates(entry)) else "missing"
            out.append(result(entry, status, error=str(e)))
    return out


def find_good_copy(entry: dict, dest: Path):
    """(path, None) for a verified copy in dest or the system path, else (None, why-not)."""
    why = None
    for path in [dest / entry["file"]] + models.system_paths(entry):
        if not path.is_file():
            continue
        digest = models.cached_sha256(path)
        if digest == entry["sha256"]:
            return path, None
        why = f"{path}: sha256 {digest} does not match the manifest ({entry['sha256']})"
    return None, why


def debsrc_source(entry: dict):
    return next((s for s in models.sources_of(entry) if s.kind == "debsrc"), None)


def missing_message(entry: dict, why) -> str:
    debs = [s for s in models.sources_of(entry) if s.kind == "deb"]
    if debs:
        hint = "; ".join(f"install {s.package} (bash scripts/install_deps.sh) for {s.path}" for s in debs)
    else:
        hint = "no source this fetch knows of; supply the file yourself (see docs/models.md)"
    return f"{why}; {hint}" if why else f"{entry['file']} not found: {hint}"


def fetch(entries: dict, dest: Path, cache_dir: Path, apt) -> list:
    """Makes every model available in dest (or its Debian path); one result per model, manifest order."""
    ensure_writable(dest, "destination")
    results, wanted = {}, {}
    for name, entry in entries.items():
        path, why = find_good_copy(entry, dest)
        source = debsrc_source(entry)
        if path:
            results[name] = result(entry, "ok", path, entry["sha256"])
        elif source:
            wanted.setdefault((source.package, source.tarball), {})[source.member] = entry
            if why:
                log(f"{why}: fetching a good copy into {dest}")
        else:
            results[name] = result(entry, "error" if why else "missing", error=missing_message(entry, why))
    for (package, tarball), members in wanted.items():
        try:
            archive = obtain_tarball(package, tarball, cache_dir, apt)
            results.update(extract_members(archive, members, dest))
        except ModelError as e:
            log(str(e))
            results.update({entry["name"]: result(entry, "error", error=str(e)) for entry in members.values()})
    ordered = [results[name] for name in entries]
    for r in ordered:
        if r["status"] in ("ok", "fetched"):
            log(f"{r['status']}: {r['name']} ({r['path']})")
    return ordered


def ensure_writable(directory: Path, what: str) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(f"cannot create the {what} {directory}: {e.strerror}; pass a writable directory "
                         "(--dest / --cache-dir, e.g. ~/.local/share/facenorm/models) or run as root") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ModelError(f"the {what} {directory} is not writable by this user; pass a writable directory "
                         "(--dest / --cache-dir, e.g. ~/.local/share/facenorm/models) or run as root")


def warn_if_shadowed(results: list) -> None:
    """A fetched file is useless if resolve() meets another copy first (e.g. in $FACENORM_MODELS)."""
    for r in results:
        if r["status"] in ("ok", "fetched"):
            try:
                models.resolve(r["name"])
            except ModelError as e:
                log(f"warning: {r['name']} is in place but facenorm will not load it: {e}")


def obtain_tarball(package: str, tarball: str, cache_dir: Path, apt) -> Path:
    """The tarball from the cache when the cached .dsc vouches for it, else downloaded with apt."""
    ensure_writable(cache_dir, "cache directory")
    cached = cache_dir / tarball
    if cached.is_file():
        expected = dsc_sha256(cache_dir, tarball)
        if expected and models.sha256_of(cached) == expected:
            log(f"using cached {cached}")
            return cached
        log(f"cached {cached} is incomplete or not vouched for by a .dsc: downloading again")
        cached.unlink()
    download = Path(tempfile.mkdtemp(prefix=".download-", dir=cache_dir))
    try:
        apt.download_source(package, download)
        if not (download / tarball).is_file():
            got = ", ".join(sorted(p.name for p in download.iterdir())) or "nothing"
            raise ModelError(f"apt-get source {package} did not produce {tarball} (got {got}); the suite's "
                             f"{package} is another version than models/MANIFEST expects (--suite?)")
        # The .dsc (signed Sources index -> .dsc -> tarball checksums) lets a later run trust the cache.
        for dsc in download.glob("*.dsc"):
            os.replace(dsc, cache_dir / dsc.name)
        os.replace(download / tarball, cached)
    finally:
        shutil.rmtree(download, ignore_errors=True)
    return cached


def dsc_sha256(cache_dir: Path, tarball: str):
    """The tarball's sha256 as a cached .dsc lists it, or None."""
    pattern = re.compile(r"^\s+([0-9a-f]{64})\s+\d+\s+" + re.escape(tarball) + r"\s*$", re.M)
    for dsc in sorted(cache_dir.glob("*.dsc")):
        section = dsc.read_text(errors="replace").split("Checksums-Sha256:", 1)
        match = pattern.search(section[1]) if len(section) == 2 else None
        if match:
            return match.group(1)
    return None
