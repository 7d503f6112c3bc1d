"""facenorm fetch-models [NAME...] : puts the model files of models/MANIFEST in place, from Debian only.

deb: rows are files a Debian binary package installs (libdlib-data): they are only checked.
debsrc: rows are members of a tarball of a Debian *source* package (the dlib-models bundle in
dlib's source package), downloaded with `apt-get source --download-only` through a private
deb-src list, so the system's apt configuration and package lists are left untouched. The
tarball is cached (<dest>/.cache by default), members are decompressed, checked against the
manifest's sha256 and written atomically. Files already in place with the right checksum are
skipped, so a second run reads nothing from the network.
"""
import bz2
import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

from .. import models
from .._core import ModelError
from .main import emit_json

DEFAULT_SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
APT_SOURCES = [Path("/etc/apt/sources.list")]
APT_SOURCE_PARTS = Path("/etc/apt/sources.list.d")
CHUNK = 1 << 20


def register(sub):
    p = sub.add_parser("fetch-models", help="download and verify the model files (Debian archive only)")
    p.add_argument("names", nargs="*", metavar="NAME", help="models to fetch (default: all in the manifest)")
    p.add_argument("--dest", type=Path, help=f"where to write them (default: {models.default_dest()})")
    p.add_argument("--cache-dir", type=Path,
                   help="where the downloaded source tarball and private apt lists are kept (default: DEST/.cache)")
    p.add_argument("--mirror", help="Debian mirror for the deb-src line (default: the system's mirror for SUITE, "
                                    f"else {DEFAULT_MIRROR})")
    p.add_argument("--suite", default=DEFAULT_SUITE, help=f"Debian suite (default: {DEFAULT_SUITE})")
    p.add_argument("--check", action="store_true",
                   help="download nothing: report whether each model resolves (what facenorm would load)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    entries = select(models.read_manifest(), args.names)
    if args.check:
        results = check(entries)
    else:
        dest = (args.dest or models.default_dest()).expanduser()
        cache_dir = (args.cache_dir or dest / ".cache").expanduser()
        apt = AptSource(cache_dir / "apt", args.mirror, args.suite)
        results = fetch(entries, dest, cache_dir, apt)
        warn_if_shadowed(results)
    if args.json:
        emit_json({"models": results})
    else:
        for r in results:
            line = f"{r['status']:<7} {r['name']}  {r['path'] or '-'}"
            print(line + (f"\n        {r['error']}" if r["error"] else ""))
    return 0 if all(r["status"] in ("ok", "fetched") for r in results) else 1


def log(message: str) -> None:
    print(f"facenorm fetch-models: {message}", file=sys.stderr, flush=True)


def select(entries: dict, names) -> dict:
    unknown = [n for n in names if n not in entries]
    if unknown:
        raise ModelError(f"unknown model(s) {', '.join(unknown)}; known models: {', '.join(entries)}")
    return {n: e for n, e in entries.items() if not names or n in names}


def result(entry: dict, status: str, path=None, sha256=None, error=None) -> dict:
    size = Path(path).stat().st_size if path and Path(path).is_file() else None
    return {"name": entry["name"], "path": str(path) if path else None, "sha256": sha256, "size": size,
            "status": status, "error": error}


# ---------------------------------------------------------------------------------------------
# What is already there


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


# ---------------------------------------------------------------------------------------------
# The fetch


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


# ---------------------------------------------------------------------------------------------
# The source tarball: cache, apt-get source


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


class AptSource:
    """apt-get with a private deb-src list, lists and cache under `root`; nothing of /etc/apt changes."""

    def __init__(self, root: Path, mirror=None, suite: str = DEFAULT_SUITE):
        self.root = Path(root)
        self.suite = suite
        self.mirror, self.keyring = (mirror, None) if mirror else system_mirror(suite)
        if self.keyring is None and DEBIAN_KEYRING.exists():
            self.keyring = str(DEBIAN_KEYRING)

    def sources_line(self) -> str:
        options = f"[signed-by={self.keyring}] " if self.keyring else ""
        return f"deb-src {options}{self.mirror} {self.suite} main\n"

    def options(self) -> list:
        opts = {
            "Dir::Etc::SourceList": self.root / "sources.list",
            "Dir::Etc::SourceParts": "/nonexistent",
            "Dir::State::Lists": self.root / "lists",
            "Dir::Cache": self.root / "cache",  # apt's binary caches of these lists, kept private too
        }
        if os.geteuid() == 0:
            # As root apt downloads as user _apt, who cannot write our private root-owned dirs; it would
            # fall back to root with a warning. Say so up front instead.
            opts["APT::Sandbox::User"] = "root"
        return [arg for key, value in opts.items() for arg in ("-o", f"{key}={value}")]

    def download_source(self, package: str, into: Path) -> None:
        for sub in ("lists", "cache"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "sources.list").write_text(self.sources_line())
        log(f"apt-get update ({self.sources_line().strip()}) into {self.root / 'lists'}")
        self.apt_get(["update", "--error-on=any"], cwd=self.root)  # a failed fetch is an error, not a warning
        log(f"apt-get source --download-only {package} into {into}")
        self.apt_get(["source", "--download-only", package], cwd=into)

    def apt_get(self, args: list, cwd: Path) -> None:
        """Runs apt-get, streaming its output to stderr; ModelError with its last lines on failure."""
        command = ["apt-get", "-q", *self.options(), *args]
        try:
            proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, env=dict(os.environ, LC_ALL="C"))
        except FileNotFoundError:
            raise ModelError("apt-get not found: fetch-models needs Debian's apt; or supply the model files "
                             "yourself (docs/models.md)") from None
        lines = []
        for line in proc.stdout:
            sys.stderr.write("  apt: " + line)
            lines.append(line.strip())
        if proc.wait() != 0:
            # apt's "E:" lines say why; without them, its last lines
            why = [l for l in lines if l.startswith("E:")] or lines[-4:]
            raise ModelError(f"`apt-get {' '.join(args)}` failed (exit {proc.returncode}): {' | '.join(why)}; "
                             "is the Debian mirror reachable (--mirror)?")


def system_mirror(suite: str):
    """(uri, signed_by or None) of the first system apt source serving `suite`, else the default."""
    for uri, suites, signed_by in apt_source_entries():
        if suite in suites:
            return uri, signed_by
    return DEFAULT_MIRROR, None


def apt_source_entries():
    """(uri, suites, signed_by) of the system's apt sources, one-line and deb822 formats."""
    files = list(APT_SOURCES)
    if APT_SOURCE_PARTS.is_dir():
        files += sorted(APT_SOURCE_PARTS.iterdir())
    for path in files:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if path.suffix == ".sources":
            yield from _deb822_entries(text)
        elif path.suffix == ".list" or path in APT_SOURCES:
            yield from _one_line_entries(text)


def _one_line_entries(text: str):
    line_re = re.compile(r"^\s*deb(?:-src)?\s+(?:\[(?P<opts>[^\]]*)\]\s+)?(?P<uri>\S+)\s+(?P<suite>\S+)")
    for line in text.splitlines():
        m = line_re.match(line)
        if m:
            opts = dict(o.split("=", 1) for o in (m.group("opts") or "").split() if "=" in o)
            yield m.group("uri"), [m.group("suite")], opts.get("signed-by")


def _deb822_entries(text: str):
    for paragraph in re.split(r"\n\s*\n", text):
        fields, key = {}, None
        for line in paragraph.splitlines():
            if line.startswith("#"):
                continue
            if line[:1].isspace() and key:  # continuation, e.g. an inline key block
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if not fields.get("uris") or fields.get("enabled", "yes").lower() == "no":
            continue
        signed_by = fields.get("signed-by")
        if signed_by and ("\n" in signed_by or not signed_by.startswith("/")):
            signed_by = None  # an inline key: let apt use its trusted keyrings instead
        for uri in fields["uris"].split():
            yield uri, fields.get("suites", "").split(), signed_by


# ---------------------------------------------------------------------------------------------
# Extraction


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
