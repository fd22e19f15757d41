#!/bin/sh
# Builds {{name}}.wasm with the SDK's pinned componentize-py (pip install -r requirements.txt).
set -eu
cd "$(dirname "$0")"
PYTHONPATH="{{sdk}}${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m rechost_plugin build app.py -o {{name}}.wasm
