"""Model files: the manifest in models/MANIFEST, where files are searched, checksum checks.

PROVISIONAL minimal version; the fetch step and the full bundle are being added.
"""
import hashlib
import os
from pathlib import Path

from ._core import ModelError

FETCH_COMMAND = "python -m facenorm fetch-models"
_PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_MODELS = _PACKAGE_DIR.parent.parent / "models"


def manifest_path() -> Path:
    for p in (_PACKAGE_DIR / "MANIFEST", _SOURCE_MODELS / "MANIFEST"):
        if p.exists():
            return p
    raise ModelError(f"models/MANIFEST not found next to the package ({_PACKAGE_DIR})")


def read_manifest() -> dict:
    entries = {}
    for line in manifest_path().read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, file, source, sha256, licence = line.split(None, 4)
        entries[name] = {"name": name, "file": file, "source": source, "sha256": sha256, "licence": licence}
    return entries


def search_path() -> list:
    dirs = []
    if os.environ.get("FACENORM_MODELS"):
        dirs += [Path(p) for p in os.environ["FACENORM_MODELS"].split(os.pathsep) if p]
    dirs += [_SOURCE_MODELS, Path.home() / ".local" / "share" / "facenorm" / "models"]
    return dirs


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_verified = {}


def resolve(name: str, verify: bool = True) -> Path:
    entries = read_manifest()
    if name not in entries:
        raise ModelError(f"unknown model '{name}'; expected one of {sorted(entries)}")
    e = entries[name]
    candidates = [d / e["file"] for d in search_path()]
    if e["source"].startswith("deb:"):
        candidates.append(Path(e["source"].split(":", 2)[2]))
    for p in candidates:
        if p.exists():
            if verify:
                key = (str(p), p.stat().st_mtime_ns, p.stat().st_size)
                if key not in _verified:
                    digest = sha256_of(p)
                    if digest != e["sha256"]:
                        raise ModelError(f"{p}: checksum mismatch for model '{name}' (sha256 {digest}, expected "
                                         f"{e['sha256']}); the file is corrupt: delete it and run: {FETCH_COMMAND}")
                    _verified[key] = True
            return p
    raise ModelError(f"model '{name}' ({e['file']}) not found in {[str(d) for d in search_path()]}; run: {FETCH_COMMAND}")
