/**
 * YAML scalars read as Ansible reads them (PyYAML, YAML 1.1 without y/n booleans), checked against
 * ansible-inventory (group_vars, inline host vars) and ansible-playbook (play vars as its
 * loader read them), one run each.
 */
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { loadInventory, listInventoryJson } from '../../src/inventory/index.js';
import { parseExtraVars } from '../../src/vars/precedence.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import '../../src/modules/index.js';
import { ANSIBLE_ENV, ansiblePlaybook, parsePythonJson } from '../helpers/ansible.js';
import { tempDir } from '../helpers/tmp.js';

/** Plain scalars whose reading differs between YAML 1.1, YAML 1.2 and PyYAML. */
const VALUES = [
  'y', 'n', 'Y', 'N', 'yes', 'no', 'Yes', 'NO', 'on', 'off', 'On', 'OFF', 'true', 'False', 'TRUE',
  '0o17', '017', '09', '0x1F', '0b101', '1_000', '-1_0', '+12', '-0', '0', '1:30', '-1:30', '190:20:30.15',
  '.inf', '-.inf', '+.Inf', '.NaN', '~', 'null', 'NULL', '', '1e3', '1.5e3', '1.5e+3', '1.', '.5', '-.5', '1_0.5', '.',
  '2024-01-02', '2024-1-2', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 Z', '2001-12-14T21:59:43Z',
  '2001-12-14 2:59:43', '2001-12-14T21:59:43.1234567+5', 'Null', 'nULL', 'o', 'yES',
];
// (not `1`: Python's True == 1, so `on` and `1` would be one key)
const KEYS = ['y', 'n', 'on', 'off', '017', 'Y'];

function varsYaml(prefix: string): string {
  const lines = VALUES.map((v, i) => `${prefix}${i}: ${v}`);
  lines.push(`${prefix}keys:`, ...KEYS.map((k, i) => `  ${k}: ${i}`));
  return lines.join('\n') + '\n';
}

/** Infinity/NaN as the strings Python's json writes, like parsePythonJson reads them. */
function pyjson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)));
}

const run = (cmd: string, args: string[], cwd: string) =>
  new Promise<string>((res, rej) =>
    execFile(cmd, args, { cwd, env: { ...process.env, ...ANSIBLE_ENV } }, (e, out, err) => (e ? rej(new Error(`${e.message}\n${err}`)) : res(out))),
  );

describe('YAML scalars: as Ansible (PyYAML) reads them', function () {
  this.timeout(60_000);
  let dir: string;
  let inventoryOracle: any;
  let playOracle: any;
  let extraOracle: any;

  before(async () => {
    dir = tempDir('ww-scalars-');
    mkdirSync(join(dir, 'group_vars'));
    writeFileSync(join(dir, 'group_vars/all.yml'), varsYaml('g'));
    const inline = varsYaml('h').split('\n').filter(Boolean).map((l) => `        ${l}`).join('\n');
    writeFileSync(join(dir, 'hosts.yml'), `all:\n  hosts:\n    h1:\n${inline}\n`);
    const play = varsYaml('p').split('\n').filter(Boolean).map((l) => `      ${l}`).join('\n');
    writeFileSync(
      join(dir, 'play.yml'),
      `- hosts: localhost\n  gather_facts: false\n  connection: local\n  vars:\n    scal:\n${play}\n  tasks:\n    - name: show\n      debug: {var: scal}\n`,
    );
    writeFileSync(join(dir, 'extra.yml'), varsYaml('e'));
    const [inv, pb] = await Promise.all([
      run('ansible-inventory', ['-i', 'hosts.yml', '--list'], dir),
      ansiblePlaybook(['-i', 'localhost,', '-e', '@extra.yml', 'play.yml'], { cwd: dir }),
    ]);
    inventoryOracle = parsePythonJson(inv);
    expect(pb.code, pb.stderr).to.equal(0);
    playOracle = pb.json!.plays[0]!.play.vars.scal;
    extraOracle = pb.json!.plays[0]!.play.extra_vars;
  });

  it('group_vars files and inline host vars: same as ansible-inventory --list', async () => {
    const inv = await loadInventory([join(dir, 'hosts.yml')]);
    const ours = pyjson(listInventoryJson(inv)) as any;
    const want = inventoryOracle._meta.hostvars.h1;
    const got = ours._meta.hostvars.h1;
    // one by one first, for a readable failure
    for (const k of Object.keys(want)) expect({ [k]: got[k] }, `value ${k}`).to.deep.equal({ [k]: want[k] });
    expect(got).to.deep.equal(want);
  });

  it('play vars: same as ansible-playbook', async () => {
    const pb = await loadPlaybook(join(dir, 'play.yml'));
    const ours = pyjson(pb.plays[0]!.vars.scal) as any;
    for (let i = 0; i < VALUES.length; i++) {
      expect({ [VALUES[i]!]: ours[`p${i}`] }, `p${i}`).to.deep.equal({ [VALUES[i]!]: playOracle[`p${i}`] });
    }
    expect(ours.pkeys).to.deep.equal(playOracle.pkeys);
  });

  it('-e @file: same as ansible-playbook', () => {
    const ours = pyjson(parseExtraVars('@extra.yml', dir)) as any;
    for (const k of Object.keys(extraOracle)) expect({ [k]: ours[k] }, k).to.deep.equal({ [k]: extraOracle[k] });
    expect(ours).to.deep.equal(extraOracle);
  });
});
