"""Model files: the manifest in models/MANIFEST, where files are searched, checksum checks.

Every model facenorm loads is named in models/MANIFEST with its sha256; resolve(name) finds the
file and verifies it, so a truncated download or a different version is caught before dlib
reads it. facenorm's own trained models (folders with a model.json, normal_face_model.npz) are
found by model_dir(name) / model_file(name) on the same search path. Files are searched, in order, in:

  1. each directory of $FACENORM_MODELS (os.pathsep-separated): your own copies come first,
  2. the package's own models: facenorm/_models in an installed package (the wheel carries the
     tracked contents of models/), <repo>/models in a source checkout,
  3. the user data directory, $XDG_DATA_HOME/facenorm/models (default ~/.local/share/facenorm/models),
     where `facenorm fetch-models` writes dlib's files when the package is installed,
  4. for rows whose source is a Debian binary package (deb:...), the path that package installs.

This module is the only place that knows where the package and the source tree are.
`python -m facenorm fetch-models` (implemented in facenorm.model_fetch) puts the files there.
"""
import hashlib
import os
import re
from pathlib import Path
from typing import NamedTuple

from ._core import MissingFileError, ModelError

__all__ = ["FETCH_COMMAND", "Source", "manifest_path", "parse_source", "sources_of", "read_manifest",
           "search_path", "model_dir", "model_file", "default_dest", "system_paths", "candidates", "sha256_of",
           "cached_sha256", "remember_sha256", "check_file", "resolve", "list_models", "read_model_folder"]

FETCH_COMMAND = "python -m facenorm fetch-models"
_PACKAGE_DIR = Path(__file__).resolve().parent
# An installed package carries its models here (setup.py's build_py copies the tracked models/).
_INSTALLED_MODELS = _PACKAGE_DIR / "_models"
# A source checkout: python/facenorm/ sits two levels below the repository's models/.
_SOURCE_MODELS = _PACKAGE_DIR.parent.parent / "models"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COLUMNS = ("name", "file", "source", "sha256", "licence")


class Source(NamedTuple):
    """One place a model can be had: a Debian binary package's file or a source-tarball member."""
    kind: str                      # "deb" or "debsrc"
    package: str
    path: str = ""                 # deb: the installed file
    tarball: str = ""              # debsrc: the tarball's file name
    member: str = ""               # debsrc: the member inside it


def package_models():
    """The package's own models folder: facenorm/_models when installed, <repo>/models in a
    source checkout; None when neither is there (a broken install)."""
    for d in (_INSTALLED_MODELS, _SOURCE_MODELS):
        if (d / "MANIFEST").is_file():
            return d
    return None


def user_models() -> Path:
    """The per-user models folder: $XDG_DATA_HOME/facenorm/models, by default
    ~/.local/share/facenorm/models (an XDG_DATA_HOME that is not absolute is ignored, as the
    XDG specification says)."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "facenorm" / "models"


def manifest_path() -> Path:
    folder = package_models()
    if folder is None:
        raise ModelError(f"models/MANIFEST not found: neither {_INSTALLED_MODELS} (an installed package) nor "
                         f"{_SOURCE_MODELS} (a source checkout) has it; reinstall facenorm")
    return folder / "MANIFEST"


def parse_source(text: str) -> Source:
    """Parses one source alternative: deb:<package>:<path> or debsrc:<package>:<tarball>:<member>."""
    kind = text.split(":", 1)[0]
    if kind == "deb":
        parts = text.split(":", 2)
        if len(parts) == 3 and all(parts):
            return Source("deb", parts[1], path=parts[2])
    elif kind == "debsrc":
        parts = text.split(":", 3)
        if len(parts) == 4 and all(parts):
            return Source("debsrc", parts[1], tarball=parts[2], member=parts[3])
    raise ModelError(f"bad model source '{text}': expected deb:<package>:<path> or "
                     "debsrc:<package>:<tarball>:<member>")


def sources_of(entry: dict) -> list:
    """The source alternatives of a manifest row, in the order they are tried."""
    return [parse_source(s) for s in entry["source"].split(",") if s]


def _parse_row(line: str, where: str) -> dict:
    fields = line.split(None, 4)
    if len(fields) != 5:
        raise ModelError(f"{where}: expected 5 columns ({' '.join(_COLUMNS)}), got {len(fields)}")
    entry = dict(zip(_COLUMNS, fields))
    if not _SHA256.match(entry["sha256"]):
        raise ModelError(f"{where}: sha256 must be 64 lowercase hex digits, got '{entry['sha256']}'")
    if "/" in entry["file"] or entry["file"] in (".", ".."):
        raise ModelError(f"{where}: file must be a bare file name, got '{entry['file']}'")
    sources_of(entry)  # validates the source column now rather than at fetch time
    return entry


def read_manifest(path=None) -> dict:
    """name -> {"name", "file", "source", "sha256", "licence"}, in manifest order."""
    path = Path(path) if path is not None else manifest_path()
    entries = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entry = _parse_row(line, f"{path}:{number}")
        if entry["name"] in entries:
            raise ModelError(f"{path}:{number}: model '{entry['name']}' listed twice")
        entries[entry["name"]] = entry
    return entries


def search_path() -> list:
    """The directories searched for model files and folders, first match wins (module docstring)."""
    dirs = []
    if os.environ.get("FACENORM_MODELS"):
        dirs += [Path(p).expanduser() for p in os.environ["FACENORM_MODELS"].split(os.pathsep) if p]
    own = package_models()
    dirs += ([own] if own is not None else []) + [user_models()]
    return dirs


def _not_found(what: str, dirs: list, make: str) -> MissingFileError:
    hint = f"; make one with `{make}`" if make else ""
    if package_models() is None:
        hint += f"; the package's own models ({_INSTALLED_MODELS}) are missing: reinstall facenorm"
    return MissingFileError(f"{what} not found; searched, in order, {', '.join(str(d) for d in dirs)} "
                            f"(folders on $FACENORM_MODELS come first){hint}")


def find_model_dir(name: str):
    """The folder of facenorm's own trained model `name` (it holds a model.json): the first
    search_path() directory that has `name/model.json`, or None."""
    for d in search_path():
        if (d / name / "model.json").is_file():
            return str(d / name)
    return None


def model_dir(name: str, make: str = "") -> str:
    """As find_model_dir, but a missing model raises MissingFileError naming every folder searched
    (and `make`, the command that makes one, when given)."""
    found = find_model_dir(name)
    if found is None:
        raise _not_found(f"model folder '{name}' ({name}/model.json)", search_path(), make)
    return found


def model_file(name: str, make: str = "") -> Path:
    """A single-file model of facenorm's own (e.g. normal_face_model.npz): the first
    search_path() directory that has it; MissingFileError naming every folder searched if none."""
    for d in search_path():
        if (d / name).is_file():
            return d / name
    raise _not_found(f"model file '{name}'", search_path(), make)


def default_dest() -> Path:
    """Where fetch-models writes: <repo>/models in a source checkout, else the user data directory."""
    return _SOURCE_MODELS if package_models() == _SOURCE_MODELS else user_models()


def system_paths(entry: dict) -> list:
    """Files Debian binary packages install for this model (deb: sources)."""
    return [Path(s.path) for s in sources_of(entry) if s.kind == "deb"]


def candidates(entry: dict) -> list:
    """Every path resolve() looks at for this model, in order."""
    return [d / entry["file"] for d in search_path()] + system_paths(entry)


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# (path, mtime_ns, size) -> sha256: a file is hashed once per process unless it changes.
_digests = {}


def cached_sha256(path) -> str:
    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _digests:
        _digests[key] = sha256_of(path)
    return _digests[key]


def remember_sha256(path, digest: str) -> None:
    """Records a digest computed while writing `path`, so verifying it later costs nothing."""
    path = Path(path)
    st = path.stat()
    _digests[(str(path.resolve()), st.st_mtime_ns, st.st_size)] = digest


def _fix_hint(entry: dict) -> str:
    debs = sorted({s.package for s in sources_of(entry) if s.kind == "deb"})
    hint = f"run: {FETCH_COMMAND}"
    if debs:
        hint += f" (or install the Debian package {', '.join(debs)}: bash scripts/install_deps.sh)"
    return hint


def check_file(entry: dict, path) -> str:
    """Returns the file's sha256, or raises ModelError when it is not the manifest's."""
    digest = cached_sha256(path)
    if digest != entry["sha256"]:
        raise ModelError(
            f"{path}: checksum mismatch for model '{entry['name']}' (sha256 {digest}, expected "
            f"{entry['sha256']}); the file is corrupt or another version: delete it and {_fix_hint(entry)}")
    return digest


def _entry(name: str) -> dict:
    entries = read_manifest()
    if name not in entries:
        raise ModelError(f"unknown model '{name}'; known models: {', '.join(entries)}")
    return entries[name]


def resolve(name: str, verify: bool = True) -> Path:
    """The verified file of model `name`; ModelError names the fix when it is missing or corrupt.

    The first existing candidate is used: a corrupt file early on the search path is an error,
    not silently skipped, so what is loaded is always what the user sees first.
    """
    entry = _entry(name)
    for path in candidates(entry):
        if path.is_file():
            if verify:
                check_file(entry, path)
            return path
    searched = ", ".join(str(p) for p in candidates(entry))
    raise ModelError(f"model '{name}' ({entry['file']}) not found; searched {searched}; {_fix_hint(entry)}")


def list_models(verify: bool = True) -> list:
    """Manifest rows, each with "path" (the resolved file, or None) and "error" (why not, or None)."""
    rows = []
    for name, entry in read_manifest().items():
        row = dict(entry, path=None, error=None)
        try:
            row["path"] = resolve(name, verify=verify)
        except ModelError as e:
            row["error"] = str(e)
        rows.append(row)
    return rows



def read_model_folder(folder, fmt: str, version: int, command: str, docs: str) -> dict:
    """The `model.json` of a trained-model folder (facenorm's own networks), checked: its format
    and version, and the sha256 it lists for each weight file. command, docs: what makes one and
    where it is described, named in the errors."""
    import json

    folder = os.fspath(folder)
    spec = os.path.join(folder, "model.json")
    if not os.path.isfile(spec):
        raise MissingFileError(f"{folder}: no model.json; train one with `{command}` ({docs})")
    try:
        with open(spec) as f:
            settings = json.load(f)
    except (OSError, ValueError) as e:
        raise ModelError(f"{spec}: cannot read ({e})") from None
    if not isinstance(settings, dict) or settings.get("format") != fmt:
        raise ModelError(f"{spec}: expected format {fmt}, got {settings.get('format') if isinstance(settings, dict) else settings!r}")
    if settings.get("version") != version:
        raise ModelError(f"{spec}: expected version {version} of the networks, got {settings.get('version')}; "
                         f"retrain it with this release's `{command}`")
    for name, digest in settings.get("sha256", {}).items():
        path = os.path.join(folder, name)
        if not os.path.isfile(path) or sha256_of(path) != digest:
            raise ModelError(f"{path}: missing or does not match model.json's checksum (corrupt or replaced)")
    return settings
