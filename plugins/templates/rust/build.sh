#!/bin/sh
# Builds {{name}}.wasm (needs: rustup target add wasm32-wasip2).
set -eu
cd "$(dirname "$0")"
cargo build --release --target wasm32-wasip2 "$@"
target=${CARGO_TARGET_DIR:-target}
cp "$target/wasm32-wasip2/release/$(echo "{{name}}" | tr - _).wasm" {{name}}.wasm
echo "wrote {{name}}.wasm"
