#!/usr/bin/env bash
# The full test suite: unit tests plus integration tests against a real lab fleet (root needed).
# Extra arguments select test files (one mocha process, the files in turn):
#   bash scripts/test.sh test/unit/inventory.test.ts
#
# The whole suite runs as two streams at the same time:
#   lab:   the integration files that use the lab, one after the other in one mocha process (they
#          share the lab hosts); its output is shown as it comes. A new file in test/integration/
#          runs here unless it is added to LAB_FREE below.
#   local: the files that use no lab host (test/unit/, and LAB_FREE) in two mocha worker processes
#          (--parallel --jobs 2), the slowest dispatched first; and the remote side's Python
#          unittests, at a lower priority (nice 5). Their output is shown when the lab stream has ended.
# Most of a test file's time is waiting (on ansible-playbook, sshd, pip, a lab host, a timeout), so
# the streams share a 2-core machine well. The files share nothing: each has its own temp dirs,
# free ports, tmux socket and test user (per process), and only the lab stream touches the lab;
# a file's tests still run in order, in one process. WW_TEST_STREAMS=serial runs the local files
# first, then the lab files (for a failure that might come from the load of the other stream).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${WW_SETUP_DONE:-}" ] || bash scripts/setup.sh
if [ "$#" -gt 0 ]; then
  exec npx mocha "$@"
fi

# integration files that use no lab host (localhost, a throwaway sshd, local venvs) and leave the
# working tree's dist/ alone (package.test.ts packs a copy of the sources)
LAB_FREE=(cli-habits engine grouping interrupt live outputs package venv-cli venv-ensure venv-ssh verbosity wheels)
# the slowest local files first (longest first keeps both workers busy to the end), then the rest
SLOW=(test/unit/task-keywords-oracle.test.ts test/unit/identity-oracle.test.ts test/unit/vault.test.ts
      test/integration/venv-cli.test.ts test/integration/package.test.ts test/unit/exit-codes-oracle.test.ts
      test/integration/cli-habits.test.ts test/unit/config.test.ts test/unit/setup-subsets.test.ts
      test/unit/selinux-args.test.ts test/integration/engine.test.ts)
local_set=()
for f in "${SLOW[@]}"; do [ -e "$f" ] && local_set+=("$f"); done
while IFS= read -r f; do
  case " ${local_set[*]} test/unit/ssh.test.ts " in *" $f "*) ;; *) local_set+=("$f") ;; esac
done < <(find test/unit -name '*.test.ts' | LC_ALL=C sort; for n in "${LAB_FREE[@]}"; do echo "test/integration/$n.test.ts"; done)
lab_set=()
while IFS= read -r f; do
  case " ${local_set[*]} " in *" $f "*) ;; *) lab_set+=("$f") ;; esac
done < <(find test/integration -name '*.test.ts' | LC_ALL=C sort)

logs=$(mktemp -d /tmp/ww-test-logs.XXXXXX)
trap 'rm -rf "$logs"' EXIT
# the remote side's Python package (stdlib unittest; no lab needed)
nice -n 5 python3 -m unittest discover -s src/remote/tests >"$logs/python" 2>&1 &
py=$!
# ssh.test.ts adds and removes a test user: useradd/userdel replace /etc/shadow, which detaches the
# shadow copy that identity-oracle's and cli-habits' throwaway sshd bind-mounts over it (their
# password logins then fail). It runs alone, after the parallel files.
ALONE=(test/unit/ssh.test.ts)
local_files() {
  local rc=0
  "$@" npx mocha --parallel --jobs 2 "${local_set[@]}" || rc=$?
  "$@" npx mocha "${ALONE[@]}" || rc=$?
  return "$rc"
}
lab_files() { npx mocha "${lab_set[@]}"; }

local_rc=0
lab_rc=0
if [ "${WW_TEST_STREAMS:-}" = serial ]; then
  local_files || local_rc=$?
  lab_files || lab_rc=$?
else
  # niced: the lab stream, the longer one, comes first when both want the CPU
  local_files nice -n 5 >"$logs/local" 2>&1 &
  local_pid=$!
  lab_files || lab_rc=$?
  wait "$local_pid" || local_rc=$?
  echo '--- the files that use no lab host (mocha --parallel --jobs 2)'
  cat "$logs/local"
fi
py_rc=0
wait "$py" || py_rc=$?
echo '--- python3 -m unittest discover -s src/remote/tests'
cat "$logs/python"

[ "$local_rc" -eq 0 ] || echo "test.sh: the files that use no lab host failed: mocha exit $local_rc" >&2
[ "$py_rc" -eq 0 ] || echo "test.sh: the Python unittests failed: exit $py_rc" >&2
[ "$lab_rc" -eq 0 ] || echo "test.sh: the lab files failed: mocha exit $lab_rc" >&2
[ "$local_rc" -eq 0 ] && [ "$py_rc" -eq 0 ] && [ "$lab_rc" -eq 0 ]
