#!/usr/bin/env bash
# Puts the model files of models/MANIFEST in place from Debian's archive only (docs/models.md).
# Arguments go to `python -m facenorm fetch-models`, e.g. --dest DIR, --check, --json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PYTHONPATH="$root/python${PYTHONPATH:+:$PYTHONPATH}" exec /usr/bin/python3 -m facenorm fetch-models "$@"
