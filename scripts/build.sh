#!/usr/bin/env bash
# Builds the C++ core, its tests and benchmarks, and the Python modules in place
# (python/facenorm/_core*.so, _nets*.so), reusing build/ between runs. Two jobs: the machine has 2 cores.
# `build.sh TARGET...` builds only those targets (setup.py: `build.sh _core _nets`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/build"
cd "$root/build"
# One build at a time per build folder: a second caller (another shell, pip) waits for the first.
exec 9>"$root/build/.build.lock"
flock 9
if [ ! -f CMakeCache.txt ]; then
  cmake "$root" -DCMAKE_BUILD_TYPE=Release -DFACENORM_MODULE_OUTPUT_DIR="$root/python/facenorm" >&2
fi
cmake --build . -j "${FACENORM_BUILD_JOBS:-2}" ${1:+--target "$@"} >&2
