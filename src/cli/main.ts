import { parseArgs } from 'node:util';
import { dirname, resolve, basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, UserError, exitForSignal } from '../errors.js';
import { interruptLocalCommands } from '../connection/local.js';
import { loadInventory, selectHosts, listInventoryJson } from '../inventory/index.js';
import { loadPlaybook } from '../playbook/index.js';
import { parseExtraVars } from '../vars/precedence.js';
import { runPlaybook } from '../runner/run.js';
import { terminalSink } from '../output/terminal.js';
import { jsonLinesSink } from '../output/jsonl.js';
import type { EventSink } from '../runner/events.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VERSION = '0.1.0';

const USAGE = `usage: wheelwright PLAYBOOK... [-i INVENTORY]... [options]
       wheelwright lab up [N] | lab down | lab status
       wheelwright venv create|ensure|run|gc ...      (local venvs, no SSH)
       wheelwright wheels REQUIREMENTS -w DIR
       wheelwright inventory -i INVENTORY [--list | --host H]
       wheelwright demo

options:
  -i, --inventory SRC      inventory file, directory or script (repeatable)
  -l, --limit PATTERN      further limit hosts (e.g. 'web*:!web3', @failed.retry)
  -t, --tags TAGS          only tasks with these tags (comma separated, repeatable)
      --skip-tags TAGS     skip tasks with these tags
  -C, --check              don't change anything; report what would change
  -D, --diff               show differences in changed files
  -e, --extra-vars VARS    key=value, YAML/JSON, or @file (repeatable; highest precedence)
  -f, --forks N            hosts in parallel (default 50)
  -v, --verbose            more output (-vv, -vvv)
      --output FORMAT      terminal (default) or jsonl
      --host-key-checking MODE   strict (default), accept-new or off
      --known-hosts FILE   known_hosts file (default ~/.ssh/known_hosts)
  -T, --timeout SECONDS    SSH connect timeout (default 10)
      --retry-file FILE    where to write failed hosts (default PLAYBOOK.retry next to it; 'none' to skip)
      --list-hosts         list the hosts each play would run on, then exit
      --syntax-check       load and validate the playbook, then exit
  -h, --help, --version

exit codes: 0 ok, 2 a host failed, 4 a host was unreachable, 5 bad input or options, 1 internal error`;

export async function main(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(s);
  const err = (s: string) => process.stderr.write(s);
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'lab': {
        const { labCli } = await import('../lab/index.js');
        return await labCli(rest);
      }
      case 'venv': {
        const { venvCli } = await import('./venv.js');
        return await venvCli(rest);
      }
      case 'wheels': {
        const { wheelsCli } = await import('./wheels.js');
        return await wheelsCli(rest);
      }
      case 'demo': {
        const { demoCli } = await import('./demo.js');
        return await demoCli(rest);
      }
      case 'inventory':
        return await inventoryCli(rest, out);
      default:
        return await playbookCli(argv, out, err);
    }
  } catch (e) {
    if (e instanceof UserError) {
      err(`ERROR: ${e.message}\n`);
      return EXIT.badInput;
    }
    if ((e as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      err(`ERROR: ${(e as Error).message}\n${USAGE}\n`);
      return EXIT.badInput;
    }
    err(`INTERNAL ERROR: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.internal;
  }
}

function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

async function inventoryCli(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { inventory: { type: 'string', short: 'i', multiple: true }, list: { type: 'boolean' }, host: { type: 'string' }, 'playbook-dir': { type: 'string' } },
    strict: true,
  });
  const inv = await loadInventory(values.inventory ?? [], { playbookDir: values['playbook-dir'] });
  if (values.host) {
    const h = inv.hosts.get(values.host);
    if (!h) throw new UserError(`host '${values.host}' is not in the inventory`);
    out(JSON.stringify(h.vars, null, 2) + '\n');
  } else out(JSON.stringify(listInventoryJson(inv), null, 2) + '\n');
  return EXIT.ok;
}

async function playbookCli(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      inventory: { type: 'string', short: 'i', multiple: true },
      limit: { type: 'string', short: 'l' },
      tags: { type: 'string', short: 't', multiple: true },
      'skip-tags': { type: 'string', multiple: true },
      check: { type: 'boolean', short: 'C' },
      diff: { type: 'boolean', short: 'D' },
      'extra-vars': { type: 'string', short: 'e', multiple: true },
      forks: { type: 'string', short: 'f' },
      verbose: { type: 'boolean', short: 'v', multiple: true },
      output: { type: 'string' },
      'host-key-checking': { type: 'string' },
      'known-hosts': { type: 'string' },
      timeout: { type: 'string', short: 'T' },
      'retry-file': { type: 'string' },
      'list-hosts': { type: 'boolean' },
      'syntax-check': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.help) {
    out(USAGE + '\n');
    return EXIT.ok;
  }
  if (values.version) {
    out(`wheelwright ${VERSION}\n`);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UserError(`no playbook given\n${USAGE}`);
  const forks = values.forks === undefined ? 50 : Number(values.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new UserError(`--forks must be a positive integer, got '${values.forks}'`);
  const timeout = values.timeout === undefined ? 10 : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UserError(`--timeout must be a positive number of seconds, got '${values.timeout}'`);
  const hkc = values['host-key-checking'] ?? 'strict';
  if (hkc !== 'strict' && hkc !== 'accept-new' && hkc !== 'off') throw new UserError(`--host-key-checking must be strict, accept-new or off, got '${hkc}'`);
  const format = values.output ?? 'terminal';
  if (format !== 'terminal' && format !== 'jsonl') throw new UserError(`--output must be terminal or jsonl, got '${format}'`);

  // Everything is loaded and validated before any host is contacted.
  const playbooks = [];
  for (const p of positionals) playbooks.push(await loadPlaybook(resolve(p), { roleSearchPaths: [join(PROJECT_ROOT, 'roles')] }));
  const inventory = await loadInventory(values.inventory ?? [], { playbookDir: playbooks[0]!.baseDir });
  const extraVars: Record<string, unknown> = {};
  for (const e of values['extra-vars'] ?? []) Object.assign(extraVars, parseExtraVars(e, process.cwd()));

  if (values['syntax-check']) {
    for (const p of playbooks) out(`playbook: ${p.file}: ok\n`);
    return EXIT.ok;
  }
  if (values['list-hosts']) {
    const limited = values.limit ? new Set(selectHosts(inventory, values.limit, { baseDir: process.cwd() })) : undefined;
    for (const pb of playbooks) {
      out(`\nplaybook: ${pb.file}\n`);
      for (const play of pb.plays) {
        const hosts = selectHosts(inventory, play.hosts, { baseDir: pb.baseDir }).filter((h) => !limited || limited.has(h));
        out(`\n  play #${pb.plays.indexOf(play) + 1} (${play.hosts}): ${play.name}\tTAGS: [${play.tags.join(', ')}]\n`);
        out(`    pattern: ['${play.hosts}']\n    hosts (${hosts.length}):\n`);
        for (const h of hosts) out(`      ${h}\n`);
      }
    }
    return EXIT.ok;
  }

  const verbosity = values.verbose?.length ?? 0;
  const sink: EventSink =
    format === 'jsonl' ? jsonLinesSink(out) : terminalSink({ verbosity, color: process.stdout.isTTY === true && !process.env.NO_COLOR, write: out });
  let exitCode: number = EXIT.ok;
  // SIGINT/SIGTERM: the first one stops the run cleanly (recap, retry file, exit 130/143); a second
  // one exits at once, killing the local commands still running.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      stop.abort(signal);
      return;
    }
    err(`\n${signal} again: exiting now\n`);
    interruptLocalCommands(`interrupted by ${signal}`);
    process.exit(exitForSignal(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const playbook of playbooks) {
      if (stop.signal.aborted) break;
      const retry = values['retry-file'];
      const retryFile = retry === 'none' ? false : retry ? resolve(retry) : join(playbook.baseDir, `${basename(playbook.file).replace(/\.ya?ml$/, '')}.retry`);
      const summary = await runPlaybook(
        {
          playbook, inventory, extraVars, limit: values.limit, forks, verbosity,
          check: values.check ?? false, diff: values.diff ?? false,
          tags: splitList(values.tags), skipTags: splitList(values['skip-tags']),
          hostKeyChecking: hkc, knownHostsFile: values['known-hosts'], connectTimeoutMs: timeout * 1000, retryFile,
          signal: stop.signal,
        },
        sink,
      );
      if (summary.exitCode !== EXIT.ok) {
        exitCode = summary.exitCode;
        break;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return stop.signal.aborted ? exitForSignal(String(stop.signal.reason)) : exitCode;
}
