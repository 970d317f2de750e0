import { labHostExec } from '../../src/lab/index.js';

/**
 * A kept lab carries what earlier runs left. A builder venv made by the upstream role (the bench's
 * Ansible side, the upstream-role test) is not wheelwright's, and the role rightly refuses to
 * replace it: tests that build remove such builders on the build host first.
 */
export async function removeForeignBuilders(buildHost = 'lab1'): Promise<void> {
  const r = await labHostExec(buildHost, 'for b in /openstack/venvs/wheel-builder-*; do [ -d "$b" ] || continue; [ -e "$b/.wheelwright-owned" ] || [ -e "$b/.ww-builder.json" ] || rm -rf "$b"; done');
  if (r.code !== 0) throw new Error(`removing foreign builder venvs on ${buildHost}: ${r.stderr}`);
}
