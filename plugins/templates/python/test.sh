#!/bin/sh
# Runs test_app.py with the SDK importable.
set -eu
cd "$(dirname "$0")"
PYTHONPATH="{{sdk}}:.${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m pytest -q -p no:cacheprovider test_app.py "$@"
