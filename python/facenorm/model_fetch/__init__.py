"""Puts the model files of models/MANIFEST in place, from Debian only (`facenorm fetch-models`).

deb: rows are files a Debian binary package installs (libdlib-data): they are only checked.
debsrc: rows are members of a tarball of a Debian *source* package (the dlib-models bundle in
dlib's source package), downloaded with `apt-get source --download-only` through a private
deb-src list, so the system's apt configuration and package lists are left untouched. The
tarball is cached (<dest>/.cache by default), members are decompressed, checked against the
manifest's sha256 and written atomically. Files already in place with the right checksum are
skipped, so a second run reads nothing from the network.

Modules: apt_source (apt configuration, apt-get), tarball (reading the source tarball),
fetcher (what to fetch and fetching it), results (result rows, log lines).
"""
from .apt_source import DEFAULT_MIRROR, DEFAULT_SUITE, AptSource, system_mirror
from .fetcher import check, dsc_sha256, fetch, find_good_copy, missing_message, obtain_tarball, warn_if_shadowed
from .results import log, result
from .tarball import extract_members, write_verified

__all__ = ["DEFAULT_MIRROR", "DEFAULT_SUITE", "AptSource", "system_mirror", "check", "dsc_sha256", "fetch",
           "find_good_copy", "missing_message", "obtain_tarball", "warn_if_shadowed", "log", "result",
           "extract_members", "write_verified"]
