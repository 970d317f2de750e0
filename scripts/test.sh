#!/usr/bin/env bash
# The full test suite: unit tests plus integration tests against a real lab fleet (root needed).
# Extra arguments select test files (one mocha process, the files in turn):
#   bash scripts/test.sh test/unit/inventory.test.ts
#
# The whole suite runs in two phases:
#   1. the files that do not use the lab (test/unit/, and LAB_FREE below) in two mocha worker
#      processes (--parallel --jobs 2: such a file waits on ansible-playbook, sshd, pip or a timeout
#      much of its time, so two of them keep a 2-core machine busy), the slowest dispatched first;
#      meanwhile the remote side's Python unittests. These files share nothing: each has its own
#      temp dirs, free ports, tmux socket and test user (per process); a file's tests still run in
#      order, in one process.
#   2. then the other integration files, one after the other in one mocha process: they share the
#      lab. A new file in test/integration/ runs here unless it is added to LAB_FREE.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${WW_SETUP_DONE:-}" ] || bash scripts/setup.sh
if [ "$#" -gt 0 ]; then
  exec npx mocha "$@"
fi

# integration files that use no lab host (localhost, a throwaway sshd, local venvs) and leave the
# working tree's dist/ alone (package.test.ts packs a copy of the sources)
LAB_FREE=(cli-habits engine grouping interrupt live outputs package venv-cli venv-ensure venv-ssh verbosity wheels)
# the slowest files first (longest first keeps both workers busy to the end), then the rest
SLOW=(test/unit/task-keywords-oracle.test.ts test/unit/identity-oracle.test.ts test/unit/vault.test.ts
      test/unit/ssh.test.ts test/integration/venv-cli.test.ts test/integration/package.test.ts test/unit/exit-codes-oracle.test.ts
      test/integration/cli-habits.test.ts test/unit/config.test.ts test/unit/setup-subsets.test.ts
      test/unit/selinux-args.test.ts test/integration/engine.test.ts)
phase1=()
for f in "${SLOW[@]}"; do [ -e "$f" ] && phase1+=("$f"); done
while IFS= read -r f; do
  case " ${phase1[*]} " in *" $f "*) ;; *) phase1+=("$f") ;; esac
done < <(find test/unit -name '*.test.ts' | LC_ALL=C sort; for n in "${LAB_FREE[@]}"; do echo "test/integration/$n.test.ts"; done)
phase2=()
while IFS= read -r f; do
  case " ${phase1[*]} " in *" $f "*) ;; *) phase2+=("$f") ;; esac
done < <(find test/integration -name '*.test.ts' | LC_ALL=C sort)

# the remote side's Python package (stdlib unittest; no lab needed), beside phase 1
pylog=$(mktemp /tmp/ww-pytest.XXXXXX)
trap 'rm -f "$pylog"' EXIT
python3 -m unittest discover -s src/remote/tests >"$pylog" 2>&1 &
py=$!

unit_rc=0
npx mocha --parallel --jobs 2 "${phase1[@]}" || unit_rc=$?
py_rc=0
wait "$py" || py_rc=$?
echo '--- python3 -m unittest discover -s src/remote/tests'
cat "$pylog"

lab_rc=0
npx mocha "${phase2[@]}" || lab_rc=$?
[ "$unit_rc" -eq 0 ] || echo "test.sh: phase 1 (unit and lab-free files) failed: mocha exit $unit_rc" >&2
[ "$py_rc" -eq 0 ] || echo "test.sh: the Python unittests failed: exit $py_rc" >&2
[ "$lab_rc" -eq 0 ] || echo "test.sh: phase 2 (lab files) failed: mocha exit $lab_rc" >&2
[ "$unit_rc" -eq 0 ] && [ "$py_rc" -eq 0 ] && [ "$lab_rc" -eq 0 ]
