#!/usr/bin/env bash
# Create benchmarks/.peers-venv with the peer PPRL tools (clkhash, anonlink).
# They pin old dependencies, so they live apart from the project's own .venv.
# Usage: bash benchmarks/peers/setup_peers.sh   (idempotent; git-ignored target)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/../.peers-venv"
python="${PYTHON:-python3.11}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
"$venv/bin/python" -c "import clkhash, anonlink; print('peers ok', clkhash.__version__, anonlink.__version__)"
