#!/usr/bin/env bash
# The full test suite: unit tests plus integration tests against a real lab fleet (root needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx mocha "$@"
