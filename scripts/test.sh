#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every C++ and Python test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install_deps.sh"
bash "$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure -j 2)
cd "$root"
PYTHONPATH="$root/python" /usr/bin/python3 -m pytest tests/python -q "$@"
