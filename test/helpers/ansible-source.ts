/**
 * A newer ansible-core than Debian's 2.14, run from source, for oracle tests of modules 2.14 lacks
 * (deb822_repository is 2.15+). The release tree is exported from the local git mirror of
 * ansible/ansible (no PyPI here) once per machine into /var/tmp and run with Debian's python3 and
 * its python3-jinja2/yaml/cryptography/packaging/resolvelib (scripts/setup.sh installs them).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AnsibleCommand } from './oracle.js';

/** The newest 2.16.x release in the mirror; it runs on bookworm's Python 3.11 and libraries. */
export const ANSIBLE_SOURCE_TAG = 'v2.16.12';
const MIRROR = process.env.WW_ANSIBLE_MIRROR || '/work/.mirror/ansible+ansible/repo';
const DIR = join(process.env.WW_ANSIBLE_SOURCE_ROOT || '/var/tmp', `wheelwright-ansible-core-${ANSIBLE_SOURCE_TAG.slice(1)}`);
const PYTHON = '/usr/bin/python3';

/**
 * The ansible-playbook of ANSIBLE_SOURCE_TAG, exporting the tree from the mirror when it is not there
 * yet; `skip` says why it cannot be had (no mirror, no such tag, git or tar failing).
 */
export function ansibleFromSource(): { command?: AnsibleCommand; version?: string; skip?: string } {
  const playbook = join(DIR, 'bin', 'ansible-playbook');
  if (!existsSync(join(DIR, 'lib', 'ansible', 'release.py'))) {
    if (!existsSync(MIRROR)) return { skip: `no git mirror of ansible/ansible at ${MIRROR}: cannot make an ansible-core ${ANSIBLE_SOURCE_TAG} checkout` };
    // exported next to the target and renamed into place: a concurrent or interrupted export never leaves half a tree
    const tmp = mkdtempSync(`${DIR}.tmp-`);
    try {
      const tar = execFileSync('git', ['-C', MIRROR, 'archive', '--format=tar', ANSIBLE_SOURCE_TAG, 'bin', 'lib'], { maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
      mkdirSync(tmp, { recursive: true });
      execFileSync('tar', ['-x', '-C', tmp], { input: tar, stdio: ['pipe', 'ignore', 'pipe'] });
      if (!existsSync(DIR)) renameSync(tmp, DIR);
    } catch (e) {
      return { skip: `cannot export ansible-core ${ANSIBLE_SOURCE_TAG} from ${MIRROR}: ${(e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message}` };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const command: AnsibleCommand = { argv: [PYTHON, playbook], env: { PYTHONPATH: join(DIR, 'lib') } };
  const version = execFileSync(PYTHON, [playbook, '--version'], { env: { ...process.env, ...command.env }, encoding: 'utf8' }).split('\n')[0]!;
  return { command, version };
}
