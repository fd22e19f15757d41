#!/usr/bin/env bash
# What the readiness page tests need: headless Chromium from Debian's packages and the Python
# client that drives it (Playwright, pointed at that browser; it downloads no browser of its
# own). Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
if ! python3 -c "import playwright, PIL" >/dev/null 2>&1; then
    pip install -q -r requirements.txt
fi
