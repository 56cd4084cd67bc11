#!/usr/bin/env bash
# Set up everything the tests need (venv, headless chromium, database servers), then run the
# test suite and every benchmark at its smallest size.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/install-browser.sh ]; then bash scripts/install-browser.sh; fi
bash scripts/services.sh
.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy
.venv/bin/pytest "$@"
bash benchmarks/peers/setup_peers.sh   # clkhash and anonlink, in their own environment
bash benchmarks/peers/splink/setup_splink.sh   # Splink 4 and DuckDB, in their own environment
JOURNEYS_BENCH_SIZE=small .venv/bin/pytest benchmarks -m benchmark --benchmark-disable -q \
    -p no:cacheprovider
