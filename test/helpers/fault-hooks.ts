/**
 * Explicit stop points on lab hosts, for fault tests: a process stops at a known point and waits
 * until the test releases it, so a fault (signal, kill, link cut, full disk) hits a known state
 * instead of racing a timer.
 *
 *   Python: a hook in the host's sitecustomize.py (every Python on the host, venvs included, imports
 *     it at start). Armed with `cmd SUBSTRING`, the first Python process whose command line contains
 *     it stops at start; armed with `open SUBSTRING`, the first one that opens a file for writing
 *     whose path contains it stops right there (an audit hook: whether pip or an in-process
 *     installer writes the file). It writes its PID to py-reached and blocks reading a fifo.
 *   cat:  a /usr/local/bin/cat wrapper (sshd's PATH puts it before /usr/bin). Armed with a substring
 *     of the path its stdout goes to, the first such `cat` writes its PID to cat-reached and blocks
 *     on a fifo; released with 'truncate', it passes on only the first 100 bytes of its input and
 *     exits 0, as `cat` does when the stream ends early (a connection cut mid-transfer).
 *
 * Only one hook of each kind is armed at a time per host; an armed hook fires once.
 */
import type { Lab } from '../../src/lab/index.js';
import { labHostExec } from '../../src/lab/index.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const HOOK_DIR = '/var/tmp/ww-hook';
const MARK = '# --- wheelwright fault-test hook ---';

export const PY_HOOK = `
${MARK}
def _ww_fault_hook():
    import os, sys
    d = ${JSON.stringify(HOOK_DIR)}
    try:
        with open(d + "/py-arm") as f:
            kind, _, want = f.read().strip().partition(" ")
    except Exception:
        return
    if not want:
        return

    def stop():
        try:
            os.rename(d + "/py-arm", d + "/py-taken")  # the first matching process stops, no other
        except OSError:
            return
        with open(d + "/py-reached.tmp", "w") as f:
            f.write("%d\\n" % os.getpid())
        os.rename(d + "/py-reached.tmp", d + "/py-reached")
        with open(d + "/py-fifo") as f:
            f.read()

    if kind == "cmd":
        with open("/proc/self/cmdline", "rb") as f:
            if want in f.read().replace(b"\\0", b" ").decode("utf-8", "replace"):
                stop()
    elif kind == "open":
        # stop at the first file opened for writing whose path contains want (audit hook: the same
        # for pip and for an in-process installer)
        state = {"busy": False}

        def hook(event, args):
            if event != "open" or state["busy"] or not isinstance(args[0], str) or want not in args[0]:
                return
            if not (isinstance(args[2], int) and args[2] & (os.O_WRONLY | os.O_RDWR)):
                return
            state["busy"] = True
            try:
                stop()
            finally:
                state["busy"] = False

        sys.addaudithook(hook)
_ww_fault_hook()
del _ww_fault_hook
`;

const CAT_WRAPPER = `#!/bin/sh
${MARK}
d=${HOOK_DIR}
if [ -s $d/cat-arm ]; then
  want=$(/usr/bin/cat $d/cat-arm)
  case "$(readlink /proc/$$/fd/1)" in
    *"$want"*)
      if mv $d/cat-arm $d/cat-taken 2>/dev/null; then
        echo $$ > $d/cat-reached.tmp && mv $d/cat-reached.tmp $d/cat-reached
        how=$(/usr/bin/cat $d/cat-fifo)
        if [ "$how" = truncate ]; then head -c 100; exit 0; fi
      fi ;;
  esac
fi
exec /usr/bin/cat "$@"
`;

async function hx(host: string, cmd: string, input?: string): Promise<string> {
  const r = await labHostExec(host, cmd, { input });
  if (r.code !== 0) throw new Error(`${host}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Install both hooks on the host (idempotent), disarmed. */
export async function installHooks(host: string): Promise<void> {
  const site = (await hx(host, `python3 -c 'import os, sysconfig; print(os.path.realpath(os.path.join(sysconfig.get_path("stdlib"), "sitecustomize.py")))'`)).trim();
  await hx(
    host,
    `mkdir -p ${HOOK_DIR} && rm -f ${HOOK_DIR}/*-arm ${HOOK_DIR}/*-taken ${HOOK_DIR}/*-reached && ` +
      `for f in py-fifo cat-fifo; do [ -p ${HOOK_DIR}/$f ] || mkfifo ${HOOK_DIR}/$f; done && ` +
      `{ grep -qF -- '${MARK}' ${site} 2>/dev/null || cat >> ${site}; }`,
    PY_HOOK,
  );
  await hx(host, `cat > /usr/local/bin/cat.tmp && chmod 755 /usr/local/bin/cat.tmp && mv /usr/local/bin/cat.tmp /usr/local/bin/cat`, CAT_WRAPPER);
}

/** Take the hooks away again (the host's Python and cat as they were). */
export async function removeHooks(host: string): Promise<void> {
  const site = (await hx(host, `python3 -c 'import os, sysconfig; print(os.path.realpath(os.path.join(sysconfig.get_path("stdlib"), "sitecustomize.py")))'`)).trim();
  await hx(host, `rm -f /usr/local/bin/cat; python3 - ${site} <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
i = s.find(${JSON.stringify('\n' + MARK)})
if i >= 0:
    open(p, "w").write(s[:i])
EOF
rm -rf ${HOOK_DIR}`);
}

/** Arm the hook of `kind`: the next process matching `match` stops. */
export async function arm(host: string, kind: 'py' | 'cat', match: string): Promise<void> {
  await hx(host, `rm -f ${HOOK_DIR}/${kind}-taken ${HOOK_DIR}/${kind}-reached && cat > ${HOOK_DIR}/${kind}-arm.tmp && mv ${HOOK_DIR}/${kind}-arm.tmp ${HOOK_DIR}/${kind}-arm`, match);
}

/** Disarm (when the hook did not fire). */
export async function disarm(host: string, kind: 'py' | 'cat'): Promise<void> {
  await hx(host, `rm -f ${HOOK_DIR}/${kind}-arm`);
}

/**
 * Wait until a process stopped at the hook; its PID. Read through the host's root as the controller
 * sees it (no process per poll); bounded, and it fails naming what never happened.
 */
export async function reached(lab: Lab, host: string, kind: 'py' | 'cat', what: string, limitMs = 120_000): Promise<number> {
  const root = lab.hosts.find((h) => h.name === host)!.root;
  const file = join(root, HOOK_DIR, `${kind}-reached`);
  const t0 = Date.now();
  while (!existsSync(file)) {
    if (Date.now() - t0 > limitMs) {
      await disarm(host, kind); // an armed hook must not stop a later, unrelated process
      throw new Error(`${host}: never reached: ${what}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return Number(readFileSync(file, 'utf8').trim());
}

/** Let the stopped process go on ('go'), or for cat: 'truncate'. */
export async function release(host: string, kind: 'py' | 'cat', how: 'go' | 'truncate' = 'go'): Promise<void> {
  await hx(host, `echo ${how} > ${HOOK_DIR}/${kind}-fifo`);
}
