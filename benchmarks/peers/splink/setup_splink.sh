#!/usr/bin/env bash
# Create benchmarks/.splink-venv with Splink 4 (DuckDB backend) for benchmarks/test_splink.py.
# Splink pins its own dependencies, so it lives apart from the project's .venv.
# Usage: bash benchmarks/peers/splink/setup_splink.sh   (idempotent; git-ignored target)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/../../.splink-venv"
python="${PYTHON:-python3.11}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import splink, duckdb, pyarrow" 2>/dev/null; then
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
fi
"$venv/bin/python" -c "import splink, duckdb; print('splink ok', splink.__version__, 'duckdb', duckdb.__version__)"
