/**
 * The upstream OpenStack-Ansible role (openstack/ansible-role-python_venv_build), unchanged, run by
 * wheelwright on the lab: 1 repo server + 2 targets, the variables bench/deploy.ts gives
 * ansible-playbook (offline tweaks are variables, not edits of the role); every target's venv
 * must import its packages. The role is not part of this repository: the test runs only when
 * WHEELWRIGHT_UPSTREAM_ROLE names a checkout of it, and is skipped otherwise (also under CI).
 *
 *   WHEELWRIGHT_UPSTREAM_ROLE=/tmp/ansible-role-python_venv_build \
 *     flock /var/tmp/wheelwright-itest.lock npx mocha test/integration/upstream-role.test.ts
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { skipWithoutLab } from './_lab-fixture.js';
import { runUpstreamRoleWithWheelwright } from '../../scripts/upstream-role.js';

const ROLE = process.env.WHEELWRIGHT_UPSTREAM_ROLE;

describe('the upstream python_venv_build role, unchanged, run by wheelwright', function () {
  this.timeout(900_000);
  before(function () {
    if (!ROLE) this.skip();
    skipWithoutLab(this);
    if (!existsSync(join(ROLE, 'tasks', 'python_venv_wheel_build.yml'))) throw new Error(`WHEELWRIGHT_UPSTREAM_ROLE=${ROLE} is not a checkout of ansible-role-python_venv_build`);
  });

  it('deploys a working venv on every target', async () => {
    const r = await runUpstreamRoleWithWheelwright(ROLE!, 2);
    expect(r.code, r.output.slice(-4000)).to.equal(0);
    expect(Object.keys(r.checks)).to.have.length(2);
    for (const [t, c] of Object.entries(r.checks)) expect(c.ok, `${t}: ${c.out}`).to.equal(true);
  });
});
