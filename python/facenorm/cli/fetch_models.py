"""facenorm fetch-models [NAME...] : puts the model files of models/MANIFEST in place, from Debian only.

The command line only; the work is facenorm.model_fetch's (apt_source, tarball, fetcher).
"""
from pathlib import Path

from .. import models
from .._core import ModelError
from ..model_fetch import DEFAULT_MIRROR, DEFAULT_SUITE, AptSource, check, fetch, warn_if_shadowed
from .main import emit_json

__all__ = ["register", "run", "select"]


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


def select(entries: dict, names) -> dict:
    unknown = [n for n in names if n not in entries]
    if unknown:
        raise ModelError(f"unknown model(s) {', '.join(unknown)}; known models: {', '.join(entries)}")
    return {n: e for n, e in entries.items() if not names or n in names}
