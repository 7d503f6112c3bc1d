#!/usr/bin/env bash
# The README's first command: installs and builds what is missing, then runs the demo on the
# embedded default (scikit-image's astronaut.png, plus any folders/images given as arguments).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install_deps.sh"
bash "$root/scripts/build.sh"
cd "$root"
# The demo's lip classifier reads dlib's face ResNet from the dlib-models bundle (Debian's dlib source
# package); without it the report says so and shows the rest.
PYTHONPATH="$root/python" /usr/bin/python3 -m facenorm fetch-models >&2 \
  || echo "facenorm: fetch-models failed; the demo's lip classifier section will be skipped" >&2
PYTHONPATH="$root/python" /usr/bin/python3 -m facenorm demo --out "${FACENORM_DEMO_OUT:-$root/demo_out}" "$@"
