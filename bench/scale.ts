/**
 * Scale benchmark (no lab needed): how wheelwright's controller copes with large inputs.
 *   playbook   load (--syntax-check) a ~50 MB playbook whose play has one big `vars:` mapping
 *   inventory  load (`wheelwright inventory --list`) a YAML inventory of 100,000 hosts
 *   play       a `debug` play over 100,000 hosts with ansible_connection=local
 * Each runs the real CLI (dist/) in a fresh process; the table shows wall time and peak memory
 * (max RSS) of that process. Goals (issue 8): playbook < 10 s, inventory < 5 s, play < 60 s and < 2 GB.
 *   npm run bench -- --only scale        (just these)
 *   node --import tsx bench/scale.ts --hosts 100000 --playbook-mb 50
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ScaleRow {
  scenario: string;
  size: string;
  seconds: number;
  /** user + system CPU seconds of the process (the machine may be shared: wall time includes waiting) */
  cpu: number;
  peakMB: number;
  exit: number;
  goal: string;
}

function writeBigPlaybook(file: string, mb: number): number {
  const fd = openSync(file, 'w');
  writeSync(fd, '- hosts: localhost\n  gather_facts: false\n  vars:\n');
  let bytes = 0;
  let i = 0;
  const target = mb * 1024 * 1024;
  while (bytes < target) {
    let chunk = '';
    for (let k = 0; k < 10_000; k++, i++) chunk += `    var_${i}: "value number ${i} of the big mapping"\n`;
    writeSync(fd, chunk);
    bytes += Buffer.byteLength(chunk);
  }
  writeSync(fd, '  tasks:\n    - debug:\n        msg: "{{ var_1 }}"\n');
  closeSync(fd);
  return i;
}

function writeBigInventory(file: string, hosts: number): void {
  const fd = openSync(file, 'w');
  writeSync(fd, 'all:\n  vars:\n    ansible_connection: local\n  children:\n');
  const perGroup = 1000;
  for (let g = 0; g * perGroup < hosts; g++) {
    let chunk = `    rack${g}:\n      hosts:\n`;
    for (let h = g * perGroup; h < Math.min(hosts, (g + 1) * perGroup); h++) chunk += `        node${h}.example.com:\n`;
    writeSync(fd, chunk);
  }
  closeSync(fd);
}

/** Runs the CLI under /usr/bin/time: wall seconds and max RSS of that one process. */
function timed(args: string[], cwd: string): { seconds: number; cpu: number; peakMB: number; exit: number; stderr: string } {
  const t0 = performance.now();
  if (!existsSync('/usr/bin/time')) throw new Error('the scale bench needs /usr/bin/time (Debian package "time") to measure peak memory');
  const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB=%M CPU=%U+%S', process.execPath, join(ROOT, 'bin/wheelwright.js'), ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const seconds = (performance.now() - t0) / 1000;
  const m = /MAXRSS_KB=(\d+) CPU=([\d.]+)\+([\d.]+)/.exec(r.stderr ?? '');
  return {
    seconds,
    cpu: m ? Number(m[2]) + Number(m[3]) : NaN,
    peakMB: m ? Number(m[1]) / 1024 : NaN,
    exit: r.status ?? -1,
    stderr: (r.stderr ?? '').slice(-2000),
  };
}

export function runScaleBench(opts: { hosts: number; playbookMb: number; log: (m: string) => void }): ScaleRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'ww-scale-'));
  const rows: ScaleRow[] = [];
  try {
    const pb = join(dir, 'big.yml');
    const vars = writeBigPlaybook(pb, opts.playbookMb);
    opts.log(`playbook: ${opts.playbookMb} MB, ${vars} vars`);
    let r = timed([pb, '-i', 'localhost,', '--syntax-check'], dir);
    rows.push({ scenario: 'load playbook (--syntax-check)', size: `${opts.playbookMb} MB, ${vars} vars`, ...r, goal: '< 10 s' });
    if (r.exit !== 0) opts.log(r.stderr);

    const inv = join(dir, 'hosts.yml');
    writeBigInventory(inv, opts.hosts);
    opts.log(`inventory: ${opts.hosts} hosts`);
    r = timed(['inventory', '-i', inv, '--list'], dir);
    rows.push({ scenario: 'load inventory (inventory --list)', size: `${opts.hosts} hosts`, ...r, goal: '< 5 s' });
    if (r.exit !== 0) opts.log(r.stderr);

    const play = join(dir, 'debug.yml');
    writeFileSync(play, '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "hello {{ inventory_hostname }}"\n');
    opts.log(`play: debug over ${opts.hosts} local hosts`);
    r = timed([play, '-i', inv, '-f', '50'], dir);
    rows.push({ scenario: 'debug play, local hosts', size: `${opts.hosts} hosts`, ...r, goal: '< 60 s, < 2 GB' });
    if (r.exit !== 0) opts.log(r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function scaleTable(rows: ScaleRow[]): string {
  return [
    '| scale scenario | size | wall time (s) | CPU (s) | peak memory (MB) | exit | goal |',
    '|---|---|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.size} | ${r.seconds.toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.peakMB.toFixed(0)} | ${r.exit} | ${r.goal} |`),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ options: { hosts: { type: 'string', default: '100000' }, 'playbook-mb': { type: 'string', default: '50' } } });
  const rows = runScaleBench({ hosts: Number(values.hosts), playbookMb: Number(values['playbook-mb']), log: (m) => process.stderr.write(`bench: ${m}\n`) });
  process.stdout.write(scaleTable(rows) + '\n');
}
