#!/usr/bin/env bash
# The main job on an embedded fleet: bring up the lab (root), deploy the example, print the recap.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/wheelwright.js demo "$@"
