/**
 * What the CLI shows and writes for a run, all from the run's events: the terminal lines or JSON
 * lines, and (when asked) JUnit XML, the HTML report and the --profile summary after the recap.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { findConfigFile, parseCfg } from '../config/index.js';
import type { EventSink, RunEvent } from '../runner/events.js';
import { jsonLinesSink } from './jsonl.js';
import { terminalSink } from './terminal.js';
import { RunRecorder } from './record.js';
// the live view (log-update), JUnit, the HTML report and the profile are loaded only when asked for:
// a plain or JSON-lines run starts without them

export interface RunOutputOptions {
  format: 'terminal' | 'jsonl';
  verbosity: number;
  /** --junit FILE */
  junit?: string;
  /** --report FILE.html */
  report?: string;
  /** --profile */
  profile?: boolean;
  write: (text: string) => void;
  /** where notes go that must not mix with JSON lines */
  writeErr: (text: string) => void;
  /** colours and the live view: stdout is a terminal that takes them */
  color: boolean;
  /** the terminal stream, for the live view (given only when it is a terminal) */
  tty?: NodeJS.WriteStream;
}

export interface RunOutputs {
  sink: EventSink;
  /** write the files; print the profile (after the recap) */
  finish(): Promise<void>;
}

/** NO_COLOR (any value) or TERM=dumb: plain lines only, as on a pipe. */
export function terminalTakesColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !('NO_COLOR' in env) && env.TERM !== 'dumb';
}

/**
 * Ansible's own switches for these outputs, so CI jobs set up for ansible-playbook keep working:
 * ANSIBLE_CALLBACKS_ENABLED (or the older ANSIBLE_CALLBACK_WHITELIST) naming `junit` writes JUnit
 * into JUNIT_OUTPUT_DIR (default ~/.ansible.log) as `<playbook>-<time>.xml`; naming
 * `profile_tasks` or `profile_roles` turns on --profile.
 */
export function outputsFromAnsibleEnv(playbookFile: string, env: NodeJS.ProcessEnv = process.env, now = Date.now()): { junit?: string; profile: boolean } {
  const enabled = `${env.ANSIBLE_CALLBACKS_ENABLED ?? ''},${env.ANSIBLE_CALLBACK_WHITELIST ?? ''}`
    .split(',')
    .map((s) => s.trim().replace(/^(ansible\.builtin|ansible\.posix|community\.general)\./, ''))
    .filter(Boolean);
  const dir = env.JUNIT_OUTPUT_DIR || join(env.HOME ?? homedir(), '.ansible.log');
  const name = basename(playbookFile).replace(/\.ya?ml$/, '');
  return {
    junit: enabled.includes('junit') ? join(dir, `${name}-${(now / 1000).toFixed(6)}.xml`) : undefined,
    profile: enabled.includes('profile_tasks') || enabled.includes('profile_roles'),
  };
}

/**
 * The same switch from ansible.cfg (the file Ansible would use): `[defaults] callbacks_enabled` (or
 * `callback_whitelist`); the environment wins over the file, as in Ansible. The junit callback's
 * output directory has no ansible.cfg key in Ansible (JUNIT_OUTPUT_DIR only), so neither here.
 */
export function outputsFromAnsibleConfig(playbookFile: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), now = Date.now()): { junit?: string; profile: boolean } {
  const file = findConfigFile(env, cwd);
  const ini = file ? parseCfg(readFileSync(file, 'utf8'), file) : {};
  const merged: NodeJS.ProcessEnv = { ...env };
  if (merged.ANSIBLE_CALLBACKS_ENABLED === undefined && merged.ANSIBLE_CALLBACK_WHITELIST === undefined) {
    merged.ANSIBLE_CALLBACKS_ENABLED = ini.defaults?.callbacks_enabled ?? ini.defaults?.callback_whitelist;
  }
  return outputsFromAnsibleEnv(playbookFile, merged, now);
}

export async function runOutputs(o: RunOutputOptions): Promise<RunOutputs> {
  const terminal = (write: (text: string) => void) => terminalSink({ verbosity: o.verbosity, color: o.color, write });
  const live = o.format === 'terminal' && o.color && o.tty ? (await import('./live.js')).liveView({ stream: o.tty, inner: terminal, color: o.color }) : undefined;
  const main = o.format === 'jsonl' ? jsonLinesSink(o.write) : live ? live.sink : terminal(o.write);
  const recorder = o.junit || o.report || o.profile ? new RunRecorder() : undefined;
  const sink: EventSink = recorder
    ? (e: RunEvent) => {
        recorder.sink(e);
        main(e);
      }
    : main;
  return {
    sink,
    async finish() {
      live?.stop();
      if (!recorder) return;
      const run = recorder.record;
      if (o.profile) (o.format === 'jsonl' ? o.writeErr : o.write)((await import('./profile.js')).profileText(run));
      if (o.junit) {
        await mkdir(dirname(resolve(o.junit)), { recursive: true });
        await (await import('./junit.js')).writeJunit(resolve(o.junit), run);
      }
      if (o.report) await (await import('./html-report.js')).writeHtmlReport(resolve(o.report), run);
    },
  };
}
