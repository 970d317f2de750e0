/**
 * The upstream OpenStack-Ansible role (openstack/ansible-role-python_venv_build), unchanged, run by
 * wheelwright on the lab: 1 repo server + 2 targets, the variables bench/deploy.ts gives
 * ansible-playbook (offline tweaks are variables, not edits of the role); every target's venv
 * must import its packages. The role is not part of this repository: the test runs when
 * WHEELWRIGHT_UPSTREAM_ROLE names a checkout of it, or when a fetched snapshot of it is on this
 * machine (WHEELWRIGHT_UPSTREAM_MIRROR, by default /work/.mirror/openstack+ansible-role-python_venv_build/repo,
 * a git directory: its HEAD is extracted to a temporary directory); it is skipped otherwise.
 *
 *   WHEELWRIGHT_UPSTREAM_ROLE=/tmp/ansible-role-python_venv_build \
 *     flock /var/tmp/wheelwright-itest.lock npx mocha test/integration/upstream-role.test.ts
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { skipWithoutLab } from './_lab-fixture.js';
import { runUpstreamRoleWithWheelwright } from '../../scripts/upstream-role.js';
import { tempDir } from '../helpers/tmp.js';

const MIRROR = process.env.WHEELWRIGHT_UPSTREAM_MIRROR ?? '/work/.mirror/openstack+ansible-role-python_venv_build/repo';
let ROLE = process.env.WHEELWRIGHT_UPSTREAM_ROLE;
let extracted: string | undefined;

/** The fetched snapshot's HEAD, unchanged, in a temporary directory (git archive | tar). */
function extractMirror(): string | undefined {
  if (!existsSync(MIRROR)) return undefined;
  const dir = tempDir('ww-upstream-role-');
  const r = spawnSync('sh', ['-c', 'git -C "$1" archive HEAD | tar -x -C "$2"', 'sh', MIRROR, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`extracting ${MIRROR}: ${r.stderr}`);
  return dir;
}

describe('the upstream python_venv_build role, unchanged, run by wheelwright', function () {
  this.timeout(900_000);
  before(function () {
    skipWithoutLab(this);
    if (!ROLE) ROLE = extracted = extractMirror();
    if (!ROLE) this.skip();
    if (!existsSync(join(ROLE, 'tasks', 'python_venv_wheel_build.yml'))) throw new Error(`WHEELWRIGHT_UPSTREAM_ROLE=${ROLE} is not a checkout of ansible-role-python_venv_build`);
  });

  after(() => {
    if (extracted) rmSync(extracted, { recursive: true, force: true });
  });

  it('deploys a working venv on every target', async () => {
    const r = await runUpstreamRoleWithWheelwright(ROLE!, 2);
    expect(r.code, r.output.slice(-4000)).to.equal(0);
    expect(Object.keys(r.checks)).to.have.length(2);
    for (const [t, c] of Object.entries(r.checks)) expect(c.ok, `${t}: ${c.out}`).to.equal(true);
  });
});
