#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every C++ and Python test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install_deps.sh"
bash "$root/scripts/build.sh"
# The MMOD CNN detector's model comes from dlib's Debian source package; without it (no
# network to Debian's archive) the CNN tests skip with the reason and everything else runs.
PYTHONPATH="$root/python" /usr/bin/python3 -m facenorm fetch-models >&2 \
  || echo "facenorm: fetch-models failed; tests that need the dlib-models bundle will skip" >&2
(cd "$root/build" && ctest --output-on-failure -j 2)
cd "$root"
PYTHONPATH="$root/python" /usr/bin/python3 -m pytest tests/python -q "$@"
