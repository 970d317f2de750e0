/**
 * Round-trip micro case: what one remote command costs on one lab host.
 *   wheelwright  a play of N trivial `command: true` tasks (gather_facts off), run by the real CLI;
 *                ms per task = (wall(N + 1 tasks) - wall(1 task)) / N, so start-up and the
 *                connection's set-up cancel out
 *   ssh2 exec    the transport alone: N sequential SshConnection.exec('true') on one connection
 *   OpenSSH      N sequential `ssh -o ControlPath=… host true` through one ControlMaster
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../src/lab/index.js';
import { SshConnection } from '../src/connection/ssh.js';

export interface MicroResult {
  host: string;
  tasks: number;
  wheelwrightMsPerTask: number;
  ssh2MsPerExec: number;
  opensshMuxMsPerCommand: number;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function microBench(lab: Lab, cli: string, opts: { tasks?: number; runs?: number; log?: (m: string) => void } = {}): Promise<MicroResult> {
  const n = opts.tasks ?? 20;
  const runs = opts.runs ?? 3;
  const host = lab.hosts[lab.hosts.length - 1]!;
  const dir = mkdtempSync(join(tmpdir(), 'ww-bench-micro-'));
  try {
    const play = (k: number) =>
      `- hosts: ${host.name}\n  gather_facts: false\n  tasks:\n` + Array.from({ length: k }, (_, i) => `    - name: t${i}\n      command: 'true'\n`).join('');
    writeFileSync(join(dir, 'one.yml'), play(1));
    writeFileSync(join(dir, 'many.yml'), play(n + 1));
    const wall = async (file: string) => {
      const t0 = performance.now();
      const r = await run(process.execPath, [cli, join(dir, file), '-i', lab.inventoryFile, '--output', 'jsonl', '--retry-file', 'none']);
      if (r.code !== 0) throw new Error(`micro play failed (exit ${r.code}): ${r.err}${r.out.slice(-2000)}`);
      return performance.now() - t0;
    };
    const ww: number[] = [];
    // one unmeasured run first: the SSH connection is kept between runs (ControlPersist), so
    // without it the first measured run would also pay the handshake (and the broker's start)
    await wall('one.yml');
    for (let i = 0; i < runs; i++) ww.push(((await wall('many.yml')) - (await wall('one.yml'))) / n);

    const conn = new SshConnection({
      host: host.name,
      address: host.address,
      user: 'root',
      privateKeyFile: lab.privateKeyFile,
      knownHostsFile: lab.knownHostsFile,
      hostKeyChecking: 'strict',
      connectTimeoutMs: 10_000,
    } as ConstructorParameters<typeof SshConnection>[0]);
    const s2: number[] = [];
    try {
      await conn.connect();
      await conn.exec('true');
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        for (let k = 0; k < n; k++) await conn.exec('true');
        s2.push((performance.now() - t0) / n);
      }
    } finally {
      await conn.close();
    }

    const ctl = join(dir, 'mux');
    const base = ['-F', '/dev/null', '-i', lab.privateKeyFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'BatchMode=yes', '-o', `ControlPath=${ctl}`];
    const target = `root@${host.address}`;
    const m = await run('ssh', [...base, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=60', '-fN', target]);
    if (m.code !== 0) throw new Error(`ssh ControlMaster failed: ${m.err}`);
    const mux: number[] = [];
    try {
      await run('ssh', [...base, target, 'true']);
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        for (let k = 0; k < n; k++) {
          const r = await run('ssh', [...base, target, 'true']);
          if (r.code !== 0) throw new Error(`ssh through the ControlMaster failed: ${r.err}`);
        }
        mux.push((performance.now() - t0) / n);
      }
    } finally {
      await run('ssh', [...base, '-O', 'exit', target]);
    }
    return { host: host.name, tasks: n, wheelwrightMsPerTask: median(ww), ssh2MsPerExec: median(s2), opensshMuxMsPerCommand: median(mux) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function microTable(r: MicroResult): string {
  return [
    `round trips: ${r.tasks} trivial tasks on ${r.host}, median per task`,
    '',
    '| what | ms per remote command |',
    '|---|---:|',
    `| wheelwright play, \`command: true\` task | ${r.wheelwrightMsPerTask.toFixed(1)} |`,
    `| ssh2 exec on wheelwright's connection (transport alone) | ${r.ssh2MsPerExec.toFixed(1)} |`,
    `| OpenSSH \`ssh -o ControlMaster\` (multiplexed, new ssh client each) | ${r.opensshMuxMsPerCommand.toFixed(1)} |`,
  ].join('\n');
}
