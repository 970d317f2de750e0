#!/usr/bin/env bash
# Fails when modules import each other in a cycle (dependency-cruiser's no-circular rule).
# It checks the compiled ES modules of a fresh build (type-only imports are erased there), or the
# JavaScript directory given as $1.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then
  dir=$1
else
  dir=$(mktemp -d /tmp/ww-cycles.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  npx tsc -p tsconfig.json --outDir "$dir" --declaration false --sourceMap false
fi
npx depcruise "$dir" --config .ci/dependency-cruiser.json --output-type err
