#!/usr/bin/env bash
# Set up journeys on a fresh machine with Python 3.11+: a virtual environment in .venv with the
# pinned versions from constraints.txt. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[dev]"
