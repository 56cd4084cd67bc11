#!/usr/bin/env bash
# The main job on the built-in synthetic data: set up, then `journeys demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/journeys demo "$@"
