#!/usr/bin/env bash
# The full test suite: unit tests plus integration tests against a real lab fleet (root needed).
# Extra arguments select test files: bash scripts/test.sh test/unit/inventory.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$#" -eq 0 ]; then
  # the remote side's Python package (stdlib unittest; no lab needed)
  python3 -m unittest discover -s src/remote/tests
  set -- 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts'
fi
exec npx mocha "$@"
