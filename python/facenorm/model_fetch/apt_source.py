"""apt configuration: the system's apt sources/mirror and apt-get run with a private deb-src list.

Reads /etc/apt (one-line and deb822 formats) only to pick the mirror and keyring; apt-get runs
with its source list, lists and cache under a private directory, so nothing of /etc/apt changes.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

from .._core import ModelError
from .results import log

__all__ = ["DEFAULT_SUITE", "DEFAULT_MIRROR", "DEBIAN_KEYRING", "APT_SOURCES", "APT_SOURCE_PARTS", "AptSource",
           "system_mirror", "apt_source_entries"]

DEFAULT_SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
APT_SOURCES = [Path("/etc/apt/sources.list")]
APT_SOURCE_PARTS = Path("/etc/apt/sources.list.d")


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
