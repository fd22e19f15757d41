#!/usr/bin/env bash
# Installs the guest-language toolchains the plugin SDKs pin: componentize-py for
# plugins/sdk-python, and jco + componentize-js (npm ci, from package-lock.json) for
# plugins/sdk-js. Idempotent: with the pinned versions already installed it does nothing, so it
# also works offline then.
set -euo pipefail
cd "$(dirname "$0")/../.."

pinned=$(python3 -c 'import sys; sys.path.insert(0, "plugins/sdk-python"); from rechost_plugin.version import COMPONENTIZE_PY; print(COMPONENTIZE_PY)')
installed=$(python3 -c 'import importlib.metadata as m; print(m.version("componentize-py"))' 2>/dev/null || true)
if [ "$installed" != "$pinned" ]; then
    python3 -m pip install -q "componentize-py==$pinned"
fi

sdk_js=plugins/sdk-js
# npm ci wipes and reinstalls node_modules; skip it when the lockfile is already what is there.
if ! cmp -s "$sdk_js/package-lock.json" "$sdk_js/node_modules/.package-lock.json.installed" 2>/dev/null; then
    (cd "$sdk_js" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$sdk_js/package-lock.json" "$sdk_js/node_modules/.package-lock.json.installed"
fi
