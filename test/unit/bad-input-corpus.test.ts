/**
 * Fuzz corpus of bad inputs (issue 8, point 9): YAML, INI, playbooks, expressions, CLI options,
 * extra-vars files. Each case runs the real CLI entry point (in-process, for speed) against an
 * inventory whose hosts point at a tiny TCP listener on loopback that counts connections, and
 * asserts: exit 5, a message naming the position (file:line:col, or the option), no stack trace,
 * and no connection to any host.
 */
import { expect } from 'chai';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../helpers/tmp.js';

interface Case {
  name: string;
  /** files of the case directory; PORT is replaced by the listener's port */
  files?: Record<string, string | Buffer>;
  args: string[];
  /** what the message must name: default file:line:col */
  pos?: RegExp;
  env?: Record<string, string>;
  /** a known gap, shown as pending until the named work lands */
  pending?: string;
}

const FILE_POS = /[\w./-]+:\d+:\d+/;
const INV = '[web]\nw1 ansible_host=127.0.0.1 ansible_port=PORT ansible_user=nobody\nw2 ansible_host=127.0.0.1 ansible_port=PORT ansible_user=nobody\n';
const pb = (tasks: string, head = '') => `- hosts: all\n  gather_facts: false\n${head}  tasks:\n${tasks}`;
const GOOD_TASK = '    - command: /bin/true\n';
/** a good first play, so an error further down must be found before it runs */
const GOOD_PLAY = `- hosts: all\n  gather_facts: false\n  tasks:\n${GOOD_TASK}`;
const bomb = (indent = '') =>
  `${indent}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n` +
  'bcdefghi'
    .split('')
    .map((c, i) => {
      const p = 'abcdefghi'[i];
      return `${indent}${c}: &${c} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]\n`;
    })
    .join('');
const deepFlow = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepBlock = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n') + ' x\n';

const playbookCases: Case[] = [
  // YAML syntax and bounds in playbooks
  { name: 'unclosed double quote', files: { 'p.yml': pb('    - debug:\n        msg: "abc\n') }, args: ['p.yml'] },
  { name: 'unclosed single quote', files: { 'p.yml': pb("    - debug:\n        msg: 'abc\n") }, args: ['p.yml'] },
  { name: 'unclosed flow sequence', files: { 'p.yml': pb('    - debug:\n        msg: [1, 2\n') }, args: ['p.yml'] },
  { name: 'unclosed flow mapping', files: { 'p.yml': pb('    - debug: {msg: 1\n') }, args: ['p.yml'] },
  { name: 'bad indentation', files: { 'p.yml': '- hosts: all\n  tasks:\n    - command: /bin/true\n   - command: /bin/true\n' }, args: ['p.yml'] },
  { name: 'tab indentation', files: { 'p.yml': '- hosts: all\n\ttasks: []\n' }, args: ['p.yml'] },
  { name: 'nested mapping on one line', files: { 'p.yml': pb('    - debug: msg: x\n') }, args: ['p.yml'] },
  { name: 'stray closing bracket', files: { 'p.yml': '- hosts: all\n  tasks: ]\n' }, args: ['p.yml'] },
  { name: 'bad escape in double quotes', files: { 'p.yml': pb('    - debug: {msg: "a\\qb"}\n') }, args: ['p.yml'] },
  { name: 'duplicate key in a task', files: { 'p.yml': pb('    - debug: {msg: a}\n      debug: {msg: b}\n') }, args: ['p.yml'] },
  { name: 'duplicate key in play vars', files: { 'p.yml': pb(GOOD_TASK, '  vars:\n    a: 1\n    a: 2\n') }, args: ['p.yml'] },
  { name: 'alias without anchor', files: { 'p.yml': pb('    - debug: {msg: *nope}\n') }, args: ['p.yml'] },
  { name: 'alias bomb in play vars', files: { 'p.yml': pb(GOOD_TASK, `  vars:\n${bomb('    ')}`) }, args: ['p.yml'] },
  { name: 'alias bomb in vars_files', files: { 'p.yml': pb(GOOD_TASK, '  vars_files: [bomb.yml]\n'), 'bomb.yml': bomb() }, args: ['p.yml'] },
  { name: 'alias bomb in task vars', files: { 'p.yml': pb(`    - command: /bin/true\n      vars:\n${bomb('        ')}`) }, args: ['p.yml'] },
  { name: 'YAML nested 2,000 levels (flow)', files: { 'p.yml': pb(GOOD_TASK, `  vars:\n    x: ${deepFlow(2000)}\n`) }, args: ['p.yml'] },
  { name: 'YAML nested 600 levels (block)', files: { 'p.yml': pb(GOOD_TASK, '  vars_files: [deep.yml]\n'), 'deep.yml': deepBlock(600) }, args: ['p.yml'] },
  { name: 'YAML nested 2,000 levels in vars_files', files: { 'p.yml': pb(GOOD_TASK, '  vars_files: [deep.yml]\n'), 'deep.yml': `x: ${deepFlow(2000)}\n` }, args: ['p.yml'] },
  { name: 'invalid UTF-8 in a playbook', files: { 'p.yml': Buffer.concat([Buffer.from(pb('    - debug: {msg: "a')), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]) }, args: ['p.yml'] },
  { name: 'invalid UTF-8 in vars_files', files: { 'p.yml': pb(GOOD_TASK, '  vars_files: [v.yml]\n'), 'v.yml': Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28, 0x0a]) }, args: ['p.yml'] },
  { name: 'NUL in a task argument', files: { 'p.yml': pb('    - command: "/bin/echo a\\0b"\n') }, args: ['p.yml'] },
  { name: 'NUL in play vars', files: { 'p.yml': pb(GOOD_TASK, '  vars:\n    x: "a\\x00b"\n') }, args: ['p.yml'] },
  { name: 'NUL in an environment value', files: { 'p.yml': pb('    - command: /bin/true\n      environment: {A: "x\\0"}\n') }, args: ['p.yml'] },
  // playbook structure
  { name: 'empty playbook', files: { 'p.yml': '' }, args: ['p.yml'] },
  { name: 'comment-only playbook', files: { 'p.yml': '# nothing here\n' }, args: ['p.yml'] },
  { name: 'playbook with no plays', files: { 'p.yml': '[]\n' }, args: ['p.yml'] },
  { name: 'playbook is a mapping', files: { 'p.yml': 'hosts: all\ntasks: []\n' }, args: ['p.yml'] },
  { name: 'playbook is a scalar', files: { 'p.yml': 'just text\n' }, args: ['p.yml'] },
  { name: 'play is a string', files: { 'p.yml': `${GOOD_PLAY}- not a play\n` }, args: ['p.yml'] },
  { name: 'play without hosts', files: { 'p.yml': `${GOOD_PLAY}- tasks:\n${GOOD_TASK}` }, args: ['p.yml'] },
  { name: 'unknown play keyword', files: { 'p.yml': `${GOOD_PLAY}- hosts: all\n  taks: []\n` }, args: ['p.yml'] },
  { name: 'tasks is a mapping', files: { 'p.yml': '- hosts: all\n  tasks:\n    command: /bin/true\n' }, args: ['p.yml'] },
  { name: 'task with two modules', files: { 'p.yml': pb('    - command: /bin/true\n      shell: /bin/true\n') }, args: ['p.yml'] },
  { name: 'unknown module', files: { 'p.yml': pb(`${GOOD_TASK}    - no_such_module: {a: 1}\n`) }, args: ['p.yml'] },
  { name: 'unknown task keyword', files: { 'p.yml': pb(`${GOOD_TASK}    - command: /bin/true\n      wehn: true\n`) }, args: ['p.yml'] },
  { name: 'register is not a name', files: { 'p.yml': pb('    - command: /bin/true\n      register: "a b"\n') }, args: ['p.yml'] },
  { name: 'notify of a missing handler', files: { 'p.yml': pb('    - command: /bin/true\n      notify: restart nothing\n') }, args: ['p.yml'] },
  { name: 'notify of a missing handler in a block', files: { 'p.yml': pb('    - block:\n        - command: /bin/true\n          notify: [nope]\n') }, args: ['p.yml'] },
  {
    name: 'notify of a missing handler from a handler',
    files: { 'p.yml': pb(GOOD_TASK) + '  handlers:\n    - name: h1\n      command: /bin/true\n      notify: h2\n' },
    args: ['p.yml'],
  },
  { name: 'environment name with a dash (play)', files: { 'p.yml': pb(GOOD_TASK, '  environment:\n    MY-VAR: x\n') }, args: ['p.yml'] },
  { name: 'environment name with a dash (task)', files: { 'p.yml': pb('    - command: /bin/true\n      environment: {MY-VAR: x}\n') }, args: ['p.yml'] },
  { name: 'environment name starting with a digit', files: { 'p.yml': pb('    - command: /bin/true\n      environment: {1A: x}\n') }, args: ['p.yml'] },
  { name: 'environment name with a space', files: { 'p.yml': pb('    - command: /bin/true\n      environment: {"A B": x}\n') }, args: ['p.yml'] },
  { name: 'environment name with =', files: { 'p.yml': pb('    - command: /bin/true\n      environment: {"A=B": x}\n') }, args: ['p.yml'] },
  { name: 'environment is a list', files: { 'p.yml': pb('    - command: /bin/true\n      environment: [A]\n') }, args: ['p.yml'] },
  { name: 'serial is not a number', files: { 'p.yml': pb(GOOD_TASK, '  serial: lots\n') }, args: ['p.yml'] },
  { name: 'max_fail_percentage over 100', files: { 'p.yml': pb(GOOD_TASK, '  max_fail_percentage: 200\n') }, args: ['p.yml'] },
  { name: 'become_method unknown', files: { 'p.yml': pb(GOOD_TASK, '  become_method: teleport\n') }, args: ['p.yml'] },
  { name: 'vars is a list', files: { 'p.yml': pb(GOOD_TASK, '  vars: [a, b]\n') }, args: ['p.yml'] },
  { name: 'vars_files missing', files: { 'p.yml': pb(GOOD_TASK, '  vars_files: [missing.yml]\n') }, args: ['p.yml'] },
  { name: 'vars_files is a list of lists of numbers', files: { 'p.yml': pb(GOOD_TASK, '  vars_files: [[1]]\n') }, args: ['p.yml'] },
  { name: 'vars_files holds a list', files: { 'p.yml': pb(GOOD_TASK, '  vars_files: [l.yml]\n'), 'l.yml': '- a\n- b\n' }, args: ['p.yml'] },
  { name: 'import_playbook of a missing file', files: { 'p.yml': `${GOOD_PLAY}- import_playbook: missing.yml\n` }, args: ['p.yml'] },
  { name: 'import_tasks of a missing file', files: { 'p.yml': pb(`${GOOD_TASK}    - import_tasks: missing.yml\n`) }, args: ['p.yml'] },
  { name: 'role not found', files: { 'p.yml': '- hosts: all\n  gather_facts: false\n  roles: [no_such_role]\n' }, args: ['p.yml'] },
  { name: 'loop_control with an unknown key', files: { 'p.yml': pb('    - debug: msg=x\n      loop: [1]\n      loop_control: {lopvar: x}\n') }, args: ['p.yml'] },
  { name: 'when is a mapping', files: { 'p.yml': pb('    - command: /bin/true\n      when: {a: 1}\n') }, args: ['p.yml'] },
  { name: 'tags is a mapping', files: { 'p.yml': pb('    - command: /bin/true\n      tags: {a: 1}\n') }, args: ['p.yml'] },
  { name: 'retries is text', files: { 'p.yml': pb('    - command: /bin/true\n      retries: many\n') }, args: ['p.yml'] },
  { name: 'block with a module keyword', files: { 'p.yml': pb('    - block: [{command: /bin/true}]\n      register: r\n') }, args: ['p.yml'] },
  { name: 'a task is a list', files: { 'p.yml': pb('    - [command, /bin/true]\n') }, args: ['p.yml'] },
  { name: 'module arguments of the wrong type', files: { 'p.yml': pb('    - copy: {dest: /tmp/x, content: a, mode: [1]}\n') }, args: ['p.yml'] },
  { name: 'unknown module argument', files: { 'p.yml': pb('    - file: {path: /tmp/x, stat: present}\n') }, args: ['p.yml'] },
];

/** Expressions: every template and condition is parsed at load, before any host is contacted (issue 12). */
const expressionCases: Case[] = [
  { name: 'when: unbalanced parenthesis', files: { 'p.yml': pb(`${GOOD_TASK}    - command: /bin/true\n      when: (a == 1\n`) }, args: ['p.yml'] },
  { name: 'when: operator without operand', files: { 'p.yml': pb(`${GOOD_TASK}    - command: /bin/true\n      when: a ==\n`) }, args: ['p.yml'] },
  { name: 'when: && is not an operator', files: { 'p.yml': pb(`${GOOD_TASK}    - command: /bin/true\n      when: a &&& b\n`) }, args: ['p.yml'] },
  { name: 'unclosed {{ in a module argument', files: { 'p.yml': pb(`${GOOD_TASK}    - command: echo {{ x\n`) }, args: ['p.yml'] },
  { name: 'empty {{ }} in a module argument', files: { 'p.yml': pb(`${GOOD_TASK}    - command: echo {{ }}\n`) }, args: ['p.yml'] },
  { name: 'failed_when: dangling operator', files: { 'p.yml': pb(`${GOOD_TASK}    - command: /bin/true\n      failed_when: rc >\n`) }, args: ['p.yml'] },
  { name: 'changed_when: unbalanced bracket', files: { 'p.yml': pb(`${GOOD_TASK}    - command: /bin/true\n      changed_when: x[0\n`) }, args: ['p.yml'] },
  { name: 'loop: unclosed list in a template', files: { 'p.yml': pb(`${GOOD_TASK}    - command: echo {{ item }}\n      loop: "{{ [1, 2 }}"\n`) }, args: ['p.yml'] },
  { name: 'until: bad expression', files: { 'p.yml': pb(`${GOOD_TASK}    - command: /bin/true\n      register: r\n      until: r.rc ==\n      retries: 1\n      delay: 0\n`) }, args: ['p.yml'] },
  { name: 'vars value: unclosed {{', files: { 'p.yml': pb(`${GOOD_TASK}    - command: echo {{ y }}\n      vars:\n        y: "{{ 1 +"\n`) }, args: ['p.yml'] },
];

const inventoryCases: Case[] = [
  // YAML inventories, group_vars, host_vars
  { name: 'alias bomb in a YAML inventory', files: { 'p.yml': GOOD_PLAY, 'inv.yml': `all:\n  vars:\n${bomb('    ')}  hosts:\n    w1: {ansible_host: 127.0.0.1, ansible_port: PORT}\n` }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'alias bomb in group_vars/all.yml', files: { 'p.yml': GOOD_PLAY, 'i/hosts': INV, 'i/group_vars/all.yml': bomb() }, args: ['p.yml', '-i', 'i/hosts'] },
  { name: 'alias bomb in host_vars', files: { 'p.yml': GOOD_PLAY, 'i/hosts': INV, 'i/host_vars/w1.yml': bomb() }, args: ['p.yml', '-i', 'i/hosts'] },
  { name: 'alias bomb in group_vars next to the playbook', files: { 'p.yml': GOOD_PLAY, 'hosts': INV, 'group_vars/web.yml': bomb() }, args: ['p.yml', '-i', 'hosts'] },
  { name: 'YAML inventory nested 2,000 levels', files: { 'p.yml': GOOD_PLAY, 'inv.yml': `all:\n  vars:\n    x: ${deepFlow(2000)}\n` }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'group_vars nested 2,000 levels', files: { 'p.yml': GOOD_PLAY, 'i/hosts': INV, 'i/group_vars/web.yml': `x: ${deepFlow(2000)}\n` }, args: ['p.yml', '-i', 'i/hosts'] },
  { name: 'invalid UTF-8 in a YAML inventory', files: { 'p.yml': GOOD_PLAY, 'inv.yml': Buffer.from([0x61, 0x6c, 0x6c, 0x3a, 0x0a, 0x20, 0x20, 0x68, 0x6f, 0x73, 0x74, 0x73, 0x3a, 0x0a, 0x20, 0x20, 0x20, 0x20, 0x77, 0xff, 0x3a, 0x0a]) }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'invalid UTF-8 in group_vars', files: { 'p.yml': GOOD_PLAY, 'i/hosts': INV, 'i/group_vars/all': Buffer.from([0x78, 0x3a, 0x20, 0xe2, 0x82, 0x0a]) }, args: ['p.yml', '-i', 'i/hosts'] },
  { name: 'YAML syntax error in group_vars', files: { 'p.yml': GOOD_PLAY, 'i/hosts': INV, 'i/group_vars/web.yml': 'a: [1\n' }, args: ['p.yml', '-i', 'i/hosts'] },
  { name: 'group_vars holding a list', files: { 'p.yml': GOOD_PLAY, 'i/hosts': INV, 'i/group_vars/web.yml': '- a\n' }, args: ['p.yml', '-i', 'i/hosts'] },
  { name: 'NUL in inventory vars', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  hosts:\n    w1:\n      x: "a\\0"\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML host range too big', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  hosts:\n    h[0:9999999]:\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML empty host range', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  hosts:\n    web[05:01]:\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML range with a zero step', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  hosts:\n    h[1:5:0]:\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML range of unequal widths', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  hosts:\n    h[01:100]:\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML range without an end', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  hosts:\n    h[1:]:\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML two ranges multiplying past the limit', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  hosts:\n    r[0:9999]n[0:9999]:\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML inventory is a list', files: { 'p.yml': GOOD_PLAY, 'inv.yml': '- a\n- b\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML group hosts as a list', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  hosts: [a, b]\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML numeric host name', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  hosts:\n    42:\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML group loop', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  { name: 'YAML syntax error in the inventory', files: { 'p.yml': GOOD_PLAY, 'inv.yml': 'all:\n  hosts:\n    w1: {a: 1\n' }, args: ['p.yml', '-i', 'inv.yml'] },
  // INI inventories
  { name: 'INI host range too big', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web]\nh[0:9999999]\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI empty host range', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web]\nweb[05:01]\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI letter range backwards', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web]\nweb-[z:a]\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI range with a bad number', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web]\nweb[1:x5]\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI unclosed section header', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web\nw1\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI unknown section type', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web:things]\nw1\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI host variable without =', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web]\nw1 ansible_port\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI group vars line without =', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web]\nw1\n[web:vars]\njust_a_word\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI children loop', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[a:children]\nb\n[b:children]\na\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI group is its own child', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[a:children]\na\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI host pattern ending in :', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web]\nw1:\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI unterminated quote in a value', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web]\nw1 a="b\n' }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'INI invalid UTF-8', files: { 'p.yml': GOOD_PLAY, 'inv.ini': Buffer.from([0x5b, 0x77, 0x5d, 0x0a, 0x77, 0x31, 0x20, 0x61, 0x3d, 0xff, 0x0a]) }, args: ['p.yml', '-i', 'inv.ini'] },
  { name: 'host list range too big', files: { 'p.yml': GOOD_PLAY }, args: ['p.yml', '-i', 'h[0:9999999],'], pos: /h\[0:9999999\]/ },
  { name: 'host list empty range', files: { 'p.yml': GOOD_PLAY }, args: ['p.yml', '-i', 'web[05:01],'], pos: /web\[05:01\]/ },
  { name: 'range limit lowered by the environment', files: { 'p.yml': GOOD_PLAY, 'inv.ini': '[web]\nh[1:6]\n' }, args: ['p.yml', '-i', 'inv.ini'], env: { WHEELWRIGHT_MAX_HOST_RANGE: '5' } },
];

const cliCases: Case[] = [
  { name: '--forks 0', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '--forks', '0'], pos: /--forks/ },
  { name: '--forks text', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '-f', 'many'], pos: /--forks/ },
  { name: '--forks negative', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '--forks=-3'], pos: /--forks/ },
  { name: '--timeout 0', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '--timeout', '0'], pos: /--timeout/ },
  { name: '--host-key-checking maybe', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '--host-key-checking', 'maybe'], pos: /--host-key-checking/ },
  { name: '--output xml', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '--output', 'xml'], pos: /--output/ },
  { name: 'unknown option', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '--bogus'], pos: /--bogus/ },
  { name: 'no playbook', files: { 'inv.ini': INV }, args: ['-i', 'inv.ini'], pos: /no playbook/ },
  { name: 'playbook file missing', files: { 'inv.ini': INV }, args: ['missing.yml', '-i', 'inv.ini'], pos: /missing\.yml/ },
  { name: 'playbook is a directory', files: { 'inv.ini': INV, 'd/x': '' }, args: ['d', '-i', 'inv.ini'], pos: /\bd\b/ },
  { name: 'inventory missing', files: { 'p.yml': GOOD_PLAY }, args: ['p.yml', '-i', 'missing.ini'], pos: /missing\.ini/ },
  { name: '-e with a bad name', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '-e', 'bad-name=1'], pos: /bad-name/ },
  { name: '-e without =', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '-e', 'word'], pos: /word/ },
  { name: '-e broken inline YAML', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '-e', '{a: [1'], pos: /line \d+, column \d+/ },
  { name: '-e inline list', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '-e', '[1, 2]'], pos: /extra vars/ },
  { name: '-e unterminated quote', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '-e', 'a="b'], pos: /quote/ },
  { name: '-e inline alias bomb', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '-e', `{${bomb().trim().split('\n').join(', ')}}`], pos: /aliases expand to more than \d+ nodes .*\(line \d+, column \d+\)/ },
  { name: '-e inline nested 2,000 levels', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '-e', `{x: ${deepFlow(2000)}}`], pos: /nested more than \d+ levels.*\(line 1, column \d+\)/ },
  { name: '-e @missing file', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '-e', '@missing.yml'], pos: /missing\.yml/ },
  { name: '-e @file alias bomb', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV, 'ev.yml': bomb() }, args: ['p.yml', '-i', 'inv.ini', '-e', '@ev.yml'] },
  { name: '-e @file nested 2,000 levels', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV, 'ev.yml': `x: ${deepFlow(2000)}\n` }, args: ['p.yml', '-i', 'inv.ini', '-e', '@ev.yml'] },
  { name: '-e @file invalid UTF-8', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV, 'ev.yml': Buffer.from([0x78, 0x3a, 0x20, 0xff, 0x0a]) }, args: ['p.yml', '-i', 'inv.ini', '-e', '@ev.yml'] },
  { name: '-e @file syntax error', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV, 'ev.yml': 'x: [1\n' }, args: ['p.yml', '-i', 'inv.ini', '-e', '@ev.yml'] },
  { name: '-e @file duplicate key', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV, 'ev.yml': 'x: 1\nx: 2\n' }, args: ['p.yml', '-i', 'inv.ini', '-e', '@ev.yml'] },
  { name: '-e @file holding a list', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV, 'ev.yml': '- 1\n' }, args: ['p.yml', '-i', 'inv.ini', '-e', '@ev.yml'], pos: /ev\.yml/ },
  { name: '--limit @missing file', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini', '--limit', '@missing.retry'], pos: /missing\.retry/ },
  { name: 'bad limit environment variable', files: { 'p.yml': GOOD_PLAY, 'inv.ini': INV }, args: ['p.yml', '-i', 'inv.ini'], env: { WHEELWRIGHT_MAX_YAML_DEPTH: 'deep' }, pos: /WHEELWRIGHT_MAX_YAML_DEPTH/ },
  { name: 'inventory command: unknown option', files: { 'inv.ini': INV }, args: ['inventory', '-i', 'inv.ini', '--lst'], pos: /--lst/ },
  { name: 'inventory command: unknown host', files: { 'inv.ini': INV }, args: ['inventory', '-i', 'inv.ini', '--host', 'nope'], pos: /nope/ },
];

/** playbook cases run against the listener's inventory (a case that wrongly passed would connect) */
for (const c of [...playbookCases, ...expressionCases]) {
  c.files = { 'inv.ini': INV, ...c.files };
  c.args = [...c.args, '-i', 'inv.ini'];
}

/** requirements files (local venvs and wheel builds): read before anything is created */
const requirementsCases: Case[] = [
  { name: 'requirements: -r of a missing file', files: { 'r.txt': 'foo==1.0\n-r missing.txt\n' }, args: ['venv', 'create', 'v', 'r.txt', '--wheels', '.'], pos: /missing\.txt/ },
  { name: 'requirements: -c of a missing file', files: { 'r.txt': 'foo==1.0\n-c nope.txt\n' }, args: ['venv', 'ensure', 'r.txt', '--wheels', '.'], pos: /nope\.txt/ },
  { name: 'requirements file missing (wheels)', args: ['wheels', 'missing-reqs.txt', '-w', 'out'], pos: /missing-reqs\.txt/ },
  { name: 'requirements file missing (venv create)', args: ['venv', 'create', 'v', 'missing-reqs.txt', '--wheels', '.'], pos: /missing-reqs\.txt/ },
  { name: 'constraints file missing (venv create -c)', files: { 'r.txt': 'foo\n' }, args: ['venv', 'create', 'v', 'r.txt', '-c', 'gone.txt', '--wheels', '.'], pos: /gone\.txt/ },
];

const ALL: Case[] = [...playbookCases, ...expressionCases, ...inventoryCases, ...cliCases, ...requirementsCases];

describe('bad input corpus: exit 5, the position named, no host contacted', function () {
  this.timeout(60_000);
  let server: Server;
  let port = 0;
  let connections = 0;
  let root: string;
  const cwd0 = process.cwd();

  before(async () => {
    server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    root = tempDir('ww-corpus-');
  });
  after(async () => {
    process.chdir(cwd0);
    rmSync(root, { recursive: true, force: true });
    await new Promise((r) => server.close(r));
  });

  /** main() in this process, with stdout/stderr captured and the case directory as cwd */
  async function run(c: Case, dir: string): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const w1 = process.stdout.write.bind(process.stdout);
    const w2 = process.stderr.write.bind(process.stderr);
    const saved: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(c.env ?? {})) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    process.chdir(dir);
    process.stdout.write = ((s: string | Uint8Array) => ((out += String(s)), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
    try {
      const code = await main(c.args);
      return { code, out, err };
    } finally {
      process.stdout.write = w1;
      process.stderr.write = w2;
      process.chdir(cwd0);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  it(`has at least 100 active cases (${ALL.filter((c) => !c.pending).length} of ${ALL.length})`, () => {
    expect(ALL.filter((c) => !c.pending).length).to.be.at.least(100);
    expect(new Set(ALL.map((c) => c.name)).size).to.equal(ALL.length);
  });

  ALL.forEach((c, i) => {
    (c.pending ? it.skip : it)(c.pending ? `${c.name} (${c.pending})` : c.name, async () => {
      const dir = join(root, `case${i}`);
      mkdirSync(dir, { recursive: true });
      for (const [name, content] of Object.entries(c.files ?? {})) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), typeof content === 'string' ? content.replaceAll('PORT', String(port)) : content);
      }
      const before = connections;
      const r = await run(c, dir);
      const shown = `exit ${r.code}\nstderr: ${r.err.slice(0, 1500)}\nstdout: ${r.out.slice(0, 500)}`;
      expect(r.code, shown).to.equal(5);
      expect(r.err, shown).to.match(c.pos ?? FILE_POS);
      expect(r.err, shown).not.to.match(/INTERNAL ERROR|: internal error:|^ {4}at .+:\d+:\d+\)?$/m);
      expect(connections - before, 'connections to the hosts').to.equal(0);
      if (process.env.CORPUS_SHOW) console.log(`--- ${c.name}\n${r.err.split("\n").slice(0, 3).join("\n")}`);
    });
  });

  it('the listener does count connections (so the checks above can fail)', async () => {
    const { connect } = await import('node:net');
    const before = connections;
    await new Promise<void>((r) => {
      const s = connect(port, '127.0.0.1', () => s.end());
      s.on('close', () => r());
      s.on('error', () => r());
    });
    expect(connections).to.equal(before + 1);
  });
});
