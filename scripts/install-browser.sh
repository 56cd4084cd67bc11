#!/usr/bin/env bash
# Install Debian's headless-capable Chromium for the workshop pack's browser test.
#
# Idempotent: does nothing when /usr/bin/chromium already runs. Needs root (or sudo) and apt.
# The browser test (tests/reports/test_pack_browser.py, marker `browser`) drives /usr/bin/chromium.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ] && "$CHROMIUM" --version >/dev/null 2>&1; then
    echo "chromium already installed: $("$CHROMIUM" --version)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get not found: install Chromium with your system's package manager" >&2
    echo "and set CHROMIUM=/path/to/chromium when running the browser test." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "installing chromium needs root; re-run as root or install sudo" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-liberation
echo "installed: $("$CHROMIUM" --version)"
