import { existsSync } from 'node:fs';
import { loadPluginDirs } from '../template/python-plugins.js';
import { resolve, basename, dirname, join } from 'node:path';
import { PROJECT_ROOT } from './project-root.js';
import { EXIT, UserError, exitForSignal } from '../errors.js';
import { killLocalCommands } from '../connection/local.js';
import { groupCharsMode, loadInventory, readsOnly, selectHosts, type Inventory, type LoadInventoryOptions } from '../inventory/index.js';
import { loadPlaybook, type Play, type Playbook, type Task } from '../playbook/index.js';
import { shouldRunByTags } from '../runner/tags.js';
import { parseExtraVars } from '../vars/precedence.js';
import { runPlaybook } from '../runner/run.js';
import { preconnect, type Preconnected } from '../runner/ahead.js';
import type { ConnectionDefaults } from '../connection/spec.js';
import { configuredStrategy } from '../config/strategy.js';
import { dumpConfig, loadAnsibleConfig } from '../config/index.js';
import { brokerBuild } from '../connection/broker-build.js';
import { VAULT_OPTIONS, vaultSecretsFrom } from './vault.js';
// static: its UsageError must be the one main() catches (the loader it imports is loaded anyway)
import { inventoryCli, inventoryWarnings } from './inventory.js';
import { outputsFromAnsibleConfig, runOutputs, terminalTakesColor } from '../output/index.js';
import type { EventSink } from '../runner/events.js';
import { helpText, parseCommand, UsageError, usageErrorText, type CommandDecl } from './options.js';
import { checkVariableTemplates } from '../template/check-vars.js';

export { PROJECT_ROOT };
const VERSION = '0.1.0';

const COMMANDS = `commands:
  wheelwright PLAYBOOK...            run playbooks (options below)
  wheelwright inventory ...          show an inventory as ansible-inventory does
  wheelwright config dump [--only-changed]   the ansible.cfg / ANSIBLE_* settings in effect
  wheelwright vault ACTION ...       encrypt, decrypt, view, encrypt_string as ansible-vault does
  wheelwright venv COMMAND ...       local venvs, no SSH (create, ensure, run, rollback, gc)
  wheelwright wheels ...             build the wheels of a requirements file locally
  wheelwright doc MODULE | doc -l    a module's arguments and return values, as ansible-doc shows them
  wheelwright lab up|down|status     the lab of real hosts the tests and the demo use
  wheelwright demo                   bring up the lab and deploy a venv to it
  wheelwright COMMAND --help         a command's options`;

export const PLAYBOOK = {
  name: '',
  usage: ['PLAYBOOK... [-i INVENTORY]... [options]', 'inventory|doc|venv|wheels|lab|demo ...'],
  about: COMMANDS,
  options: {
    inventory: { type: 'string', short: 'i', multiple: true, arg: 'SRC', help: 'inventory file, directory or script' },
    limit: { type: 'string', short: 'l', arg: 'PATTERN', help: "further limit hosts (e.g. 'web*:!web3', @failed.retry)" },
    tags: { type: 'string', short: 't', multiple: true, arg: 'TAGS', help: 'only tasks with these tags (comma separated)' },
    'skip-tags': { type: 'string', multiple: true, arg: 'TAGS', help: 'skip tasks with these tags' },
    check: { type: 'boolean', short: 'C', help: "don't change anything; report what would change" },
    diff: { type: 'boolean', short: 'D', help: 'show differences in changed files' },
    'extra-vars': { type: 'string', short: 'e', multiple: true, arg: 'VARS', help: 'key=value, YAML/JSON, or @file (highest precedence)' },
    forks: { type: 'string', short: 'f', arg: 'N', help: 'hosts in parallel (default 50)' },
    verbose: { type: 'boolean', short: 'v', multiple: true, help: 'more output (-vv, -vvv, -vvvv)' },
    output: { type: 'string', arg: 'FORMAT', help: 'terminal (default) or jsonl' },
    junit: { type: 'string', arg: 'FILE', help: 'write JUnit XML: a testsuite per play, a testcase per task and host' },
    report: { type: 'string', arg: 'FILE.html', help: 'write a one-page HTML report: recap, failures, slowest tasks, timeline per host' },
    profile: { type: 'boolean', help: 'after the recap, the time per role and the 10 slowest tasks' },
    'host-key-checking': { type: 'string', arg: 'MODE', help: 'strict (default), accept-new or off' },
    'known-hosts': { type: 'string', arg: 'FILE', help: 'known_hosts file (default ~/.ssh/known_hosts)' },
    timeout: { type: 'string', short: 'T', arg: 'SECONDS', help: 'SSH connect timeout (default 10)' },
    user: { type: 'string', short: 'u', arg: 'USER', help: "connect as this user (below a play's remote_user and a host's ansible_user)" },
    connection: { type: 'string', short: 'c', arg: 'TYPE', help: "ssh or local (below a play's connection and a host's ansible_connection)" },
    'private-key': { type: 'string', arg: 'FILE', help: "SSH private key (below a host's ansible_ssh_private_key_file)" },
    'ask-pass': { type: 'boolean', short: 'k', help: 'ask for the SSH password (needs a terminal)' },
    become: { type: 'boolean', short: 'b', help: 'run tasks with become (below play/task keywords and ansible_become)' },
    'become-user': { type: 'string', arg: 'USER', help: 'become this user (default root)' },
    'become-method': { type: 'string', arg: 'METHOD', help: 'sudo (default) or su' },
    'ask-become-pass': { type: 'boolean', short: 'K', help: 'ask for the become password (needs a terminal)' },
    ...VAULT_OPTIONS,
    'retry-file': { type: 'string', arg: 'FILE', help: "where to write failed hosts (default PLAYBOOK.retry next to it; 'none' to skip)" },
    'list-hosts': { type: 'boolean', help: 'list the hosts each play would run on, then exit' },
    'list-tasks': { type: 'boolean', help: 'list the tasks each play would run (after --tags/--skip-tags), then exit' },
    'list-tags': { type: 'boolean', help: 'list the tags of each play, then exit' },
    'start-at-task': { type: 'string', arg: 'NAME', help: "start at the first task with this name (or 'role : name'; * ? [] patterns), as ansible-playbook" },
    step: { type: 'boolean', help: 'ask before each task: (N)o/(y)es/(c)ontinue (needs a terminal)' },
    'force-handlers': { type: 'boolean', help: 'run notified handlers on hosts that failed too' },
    'flush-cache': { type: 'boolean', help: 'accepted for compatibility (wheelwright keeps no fact cache)' },
    'syntax-check': { type: 'boolean', help: 'load and validate the playbook, then exit' },
    version: { type: 'boolean', help: "show wheelwright's version and exit" },
  },
  footer: 'exit codes: 0 ok, 2 a host failed, 4 a host was unreachable, 5 bad input or options, 1 internal error',
} as const satisfies CommandDecl;

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
        const { demoArgs } = await import('./demo.js');
        const args = await demoArgs(rest, out);
        return typeof args === 'number' ? args : await playbookCli(args, out, err);
      }
      case 'inventory':
        return await inventoryCli(rest, out, askSecret, err);
      case 'config': {
        const [action, ...more] = rest;
        if (action !== 'dump' || more.some((a) => a !== '--only-changed')) {
          throw new UserError('usage: wheelwright config dump [--only-changed]  (the settings in effect, as ansible-config dump shows them)');
        }
        out(dumpConfig(loadAnsibleConfig(), more.includes('--only-changed')));
        return EXIT.ok;
      }
      case 'vault': {
        const { vaultCli } = await import('./vault.js');
        return await vaultCli(rest, out, askSecret);
      }
      case 'doc': {
        const { docCli } = await import('./doc.js');
        return await docCli(rest, out);
      }
      default:
        return await playbookCli(argv, out, err);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(usageErrorText(e, PLAYBOOK));
      return EXIT.badInput;
    }
    if (e instanceof UserError) {
      err(`ERROR: ${e.message}\n`);
      return EXIT.badInput;
    }
    err(`INTERNAL ERROR: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.internal;
  }
}

/** A password typed at the terminal (not echoed); without a terminal, a clear error instead of a hang. */
async function askSecret(prompt: string, option: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const instead = option === '--ask-vault-pass' ? 'give --vault-password-file or --vault-id label@file (or set ANSIBLE_VAULT_PASSWORD_FILE)' : 'set the password in the inventory (ansible_password / ansible_become_password, vault-encrypted)';
    throw new UserError(`${option} needs a terminal to ask on; without one, ${instead}`);
  }
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // echo nothing of what is typed
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (s.startsWith(prompt)) process.stderr.write(prompt);
  };
  try {
    return await new Promise<string>((res) => rl.question(prompt, res));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/**
 * --step's question before each task, as Ansible's strategies ask it: `Perform task: TASK: name
 * (N)o/(y)es/(c)ontinue: ` (`on HOST` under free); y/yes runs it, c/continue runs it and stops
 * asking, anything else skips it; then the question is printed as a banner. One question at a time.
 */
function stepAsker(out: (s: string) => void): (label: string, host?: string) => Promise<boolean> {
  let asking = true;
  let queue: Promise<unknown> = Promise.resolve();
  return (label, host) => {
    const answer = queue.then(async () => {
      if (!asking) return true;
      const msg = `Perform task: ${label} ${host ? `on ${host} ` : ''}(N)o/(y)es/(c)ontinue: `;
      const { createInterface } = await import('node:readline');
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      const resp = (await new Promise<string>((res) => rl.question(msg, res))).trim().toLowerCase();
      rl.close();
      const run = ['y', 'yes', 'c', 'continue'].includes(resp);
      if (resp === 'c' || resp === 'continue') asking = false;
      out(`\n${msg.trim()} ${'*'.repeat(Math.max(3, 79 - msg.trim().length))}\n`);
      return run;
    });
    queue = answer.catch(() => undefined);
    return answer;
  };
}

/** `ansible-playbook --list-tasks / --list-tags` output (block bodies only, as Ansible lists them). */
function listTasks(playbooks: Playbook[], names: string[], what: { tasks: boolean; tags: boolean }, only: string[], skip: string[]): string {
  let text = '';
  playbooks.forEach((pb, n) => {
    text += `\nplaybook: ${names[n] ?? pb.file}\n`;
    pb.plays.forEach((play, i) => {
      text += `\n  play #${i + 1} (${play.hosts}): ${play.name}\tTAGS: [${play.tags.join(',')}]\n`;
      const all = new Set<string>();
      let lines = what.tasks ? '    tasks:\n' : '';
      const walk = (tasks: Task[]): void => {
        for (const t of tasks) {
          if (t.kind === 'block') {
            walk(t.block ?? []);
            continue;
          }
          if (!shouldRunByTags(t.tags, only, skip)) continue;
          for (const tag of t.tags) all.add(tag);
          if (!what.tasks) continue;
          const tags = [...new Set([...play.tags, ...t.tags])].sort();
          const name = t.name ? `${t.role ? `${t.role.name} : ` : ''}${t.name}` : t.includeRole ? 'include_role' : t.kind === 'include' ? 'include_tasks' : (t.module ?? '');
          lines += `      ${name}\tTAGS: [${tags.join(', ')}]\n`;
        }
      };
      walk([...play.preTasks, ...play.roleTasks, ...play.tasks, ...play.postTasks]);
      if (what.tags) lines += `      TASK TAGS: [${[...new Set([...play.tags, ...all])].sort().join(', ')}]\n`;
      text += lines;
    });
  });
  return text;
}

/**
 * The inventory and the extra vars, read before the playbook (its first play's connections open
 * while the rest loads): each promise holds its own error, thrown where the CLI reads it.
 */
function earlyInputs(sources: string[], options: LoadInventoryOptions, readExtraVars: () => Record<string, unknown>): { inventory: Promise<Inventory>; extraVars: Promise<Record<string, unknown>> } {
  const inventory = loadInventory(sources, options);
  const extraVars = inventory.then(() => readExtraVars());
  inventory.catch(() => undefined);
  extraVars.catch(() => undefined);
  return { inventory, extraVars };
}

function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

async function playbookCli(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { values, positionals, help } = parseCommand(PLAYBOOK, argv);
  if (help) {
    out(helpText(PLAYBOOK));
    return EXIT.ok;
  }
  if (values.version) {
    out(`wheelwright ${VERSION}\n`);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('no playbook given', PLAYBOOK);
  // ansible.cfg and ANSIBLE_* settings: below the command line options
  const cfg = loadAnsibleConfig();
  const set = <T>(name: string): T | undefined => (cfg.settings[name]!.origin === 'default' ? undefined : (cfg.settings[name]!.value as T));
  const forks = values.forks === undefined ? (set<number>('DEFAULT_FORKS') ?? 50) : Number(values.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new UsageError(`--forks must be a positive integer, got '${values.forks}'`, PLAYBOOK);
  const timeout = values.timeout === undefined ? (set<number>('DEFAULT_TIMEOUT') ?? 10) : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got '${values.timeout}'`, PLAYBOOK);
  const hkc = values['host-key-checking'] ?? (set<boolean>('HOST_KEY_CHECKING') === false ? 'off' : 'strict');
  if (hkc !== 'strict' && hkc !== 'accept-new' && hkc !== 'off') throw new UsageError(`--host-key-checking must be strict, accept-new or off, got '${hkc}'`, PLAYBOOK);
  const format = values.output ?? 'terminal';
  if (format !== 'terminal' && format !== 'jsonl') throw new UsageError(`--output must be terminal or jsonl, got '${format}'`, PLAYBOOK);

  const connection = values.connection;
  if (connection !== undefined && !['ssh', 'local', 'smart', 'paramiko'].includes(connection)) {
    throw new UsageError(`--connection must be ssh or local, got '${connection}'`, PLAYBOOK);
  }
  const becomeMethod = values['become-method'];
  if (becomeMethod !== undefined && becomeMethod !== 'sudo' && becomeMethod !== 'su') throw new UsageError(`--become-method must be sudo or su, got '${becomeMethod}'`, PLAYBOOK);
  if (values.step && !process.stdin.isTTY) {
    throw new UsageError('--step asks before each task and needs a terminal to ask on (stdin is not one); run without --step, or narrow the run with --tags or --start-at-task', PLAYBOOK);
  }
  const password = values['ask-pass'] ? await askSecret('SSH password: ', '-k/--ask-pass') : undefined;
  const becomePassword = values['ask-become-pass'] ? await askSecret('BECOME password: ', '-K/--ask-become-pass') : undefined;

  // Everything is loaded and validated before any command runs on a host. Play 1's connections
  // open while its roles load (src/runner/ahead.ts), for a run that will contact hosts and whose
  // inventory reading runs nothing: that inventory and the extra vars are then read before the
  // playbook, their errors still reported after the playbook's.
  await vaultSecretsFrom(values, askSecret, set<string>('DEFAULT_VAULT_PASSWORD_FILE'));
  const inventorySources = values.inventory ?? set<string[]>('DEFAULT_HOST_LIST') ?? [];
  const inventoryOptions = { playbookDir: dirname(resolve(positionals[0]!)), transformInvalidGroupChars: groupCharsMode(cfg.settings.TRANSFORM_INVALID_GROUP_CHARS!.value) };
  const readExtraVars = () => {
    const vars: Record<string, unknown> = {};
    for (const e of values['extra-vars'] ?? []) Object.assign(vars, parseExtraVars(e, process.cwd()));
    return vars;
  };
  const connectionDefaults: ConnectionDefaults = {
    ...(connection !== undefined ? { connection } : {}),
    ...((values.user ?? set<string>('DEFAULT_REMOTE_USER')) !== undefined ? { user: values.user ?? set<string>('DEFAULT_REMOTE_USER') } : {}),
    ...(set<number>('DEFAULT_REMOTE_PORT') !== undefined ? { port: set<number>('DEFAULT_REMOTE_PORT') } : {}),
    ...((values['private-key'] ?? set<string>('DEFAULT_PRIVATE_KEY_FILE')) !== undefined
      ? { privateKeyFile: values['private-key'] !== undefined ? resolve(values['private-key']) : set<string>('DEFAULT_PRIVATE_KEY_FILE') }
      : {}),
    ...(password !== undefined ? { password } : {}),
    ...(becomePassword !== undefined ? { becomePassword } : {}),
  };
  const contacts =
    !values['syntax-check'] && !values['list-tasks'] && !values['list-tags'] && !values['list-hosts'] && !values.check && !values.step && values['start-at-task'] === undefined;
  // accept-new: no host key is written by a run that may still fail to load
  const early = contacts && hkc !== 'accept-new' && inventorySources.every(readsOnly) ? earlyInputs(inventorySources, inventoryOptions, readExtraVars) : undefined;
  // ssh_args (ControlPersist) and control_path_dir, and the CLI's connection broker: for the run and its early connections
  const sshSettings = { sshArgs: cfg.ssh.args, controlPathDir: cfg.ssh.controlPathDir, ssh: { broker: brokerBuild() } };
  let preconnecting: Promise<Preconnected | undefined> | undefined;
  const onFirstPlay = early
    ? (play: Play) => {
        preconnecting = Promise.all([early.inventory, early.extraVars]).then(
          ([inventory, extraVars]) =>
            preconnect(play, {
              inventory, extraVars, baseDir: inventoryOptions.playbookDir, limit: values.limit, forks,
              tags: splitList(values.tags), skipTags: splitList(values['skip-tags']), gathering: set<string>('DEFAULT_GATHERING'),
              hostKeyChecking: hkc, knownHostsFile: values['known-hosts'], connectTimeoutMs: timeout * 1000, connectionDefaults,
              ...sshSettings,
            }),
          () => undefined,
        );
      }
    : undefined;
  const closeEarly = () => void preconnecting?.then((p) => p?.close());
  const playbooks = [];
  let inventory: Inventory;
  let extraVars: Record<string, unknown>;
  try {
    const rolesPath = (cfg.settings.DEFAULT_ROLES_PATH!.value as string[]).filter((d) => existsSync(d));
    // Python filter/test plugins of the configured paths (a playbook's and a role's own come with them)
    loadPluginDirs('filter', (cfg.settings.DEFAULT_FILTER_PLUGIN_PATH!.value as string[]).filter((d) => existsSync(d)));
    loadPluginDirs('test', (cfg.settings.DEFAULT_TEST_PLUGIN_PATH!.value as string[]).filter((d) => existsSync(d)));
    for (const p of positionals) {
      playbooks.push(await loadPlaybook(resolve(p), { roleSearchPaths: [...rolesPath, join(PROJECT_ROOT, 'roles')], ...(playbooks.length === 0 && onFirstPlay ? { onFirstPlay } : {}) }));
    }
    // like Ansible, ANSIBLE_INVENTORY / the configured inventory when no -i is given
    inventory = await (early?.inventory ?? loadInventory(inventorySources, inventoryOptions));
    err(inventoryWarnings(inventory.warnings));
    extraVars = await (early?.extraVars ?? readExtraVars());
    checkVariableTemplates(inventory, extraVars);
  } catch (e) {
    closeEarly();
    throw e;
  }

  if (values['syntax-check']) {
    for (const p of playbooks) out(`playbook: ${p.file}: ok\n`);
    return EXIT.ok;
  }
  if (values['list-tasks'] || values['list-tags']) {
    out(listTasks(playbooks, positionals, { tasks: values['list-tasks'] ?? false, tags: values['list-tags'] ?? false }, splitList(values.tags), splitList(values['skip-tags'])));
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
  const fromEnv = outputsFromAnsibleConfig(positionals[0]!);
  // play 1's connections opened meanwhile: the first run takes them (and closes them); else closed here
  let preconnected = await preconnecting;
  const outputs = await runOutputs({
    format, verbosity, junit: values.junit ?? fromEnv.junit, report: values.report, profile: values.profile || fromEnv.profile,
    // --step's questions go to the terminal between results: no live view redrawn over them
    write: out, writeErr: err, color: terminalTakesColor(process.stdout), tty: terminalTakesColor(process.stdout) && !values.step ? process.stdout : undefined,
  }).catch((e: unknown) => {
    void preconnected?.close();
    throw e;
  });
  const sink: EventSink = outputs.sink;
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
    killLocalCommands();
    process.exit(exitForSignal(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const step = values.step ? stepAsker(out) : undefined;
  // --start-at-task: the first play (of any playbook) with the task starts there; the rest run whole
  let startAt = values['start-at-task'];
  try {
    for (const playbook of playbooks) {
      if (stop.signal.aborted) break;
      const retryDir = set<string>('RETRY_FILES_SAVE_PATH') ?? playbook.baseDir;
      const retry = values['retry-file'] ?? (set<boolean>('RETRY_FILES_ENABLED') === false ? 'none' : undefined);
      const retryFile = retry === 'none' ? false : retry ? resolve(retry) : join(retryDir, `${basename(playbook.file).replace(/\.ya?ml$/, '')}.retry`);
      const pre = preconnected; // the first run's: it uses and closes them
      preconnected = undefined;
      const summary = await runPlaybook(
        {
          playbook, inventory, extraVars, limit: values.limit, forks, verbosity,
          check: values.check ?? false, diff: values.diff ?? false,
          tags: splitList(values.tags), skipTags: splitList(values['skip-tags']),
          hostKeyChecking: hkc, knownHostsFile: values['known-hosts'], connectTimeoutMs: timeout * 1000, retryFile,
          signal: stop.signal,
          ...(startAt !== undefined ? { startAtTask: startAt } : {}),
          step,
          forceHandlers: values['force-handlers'] || set<boolean>('DEFAULT_FORCE_HANDLERS') || false,
          strategy: configuredStrategy(cfg.settings.DEFAULT_STRATEGY!.value as string),
          gathering: set<string>('DEFAULT_GATHERING'),
          anyErrorsFatal: set<boolean>('ANY_ERRORS_FATAL'),
          taskTimeout: cfg.settings.TASK_TIMEOUT!.value as number,
          ...sshSettings,
          connectionDefaults,
          ...(pre ? { preconnected: pre } : {}),
          // the process exits after the run: the hosts need not acknowledge the connections' close
          detachClose: true,
          become: {
            become: values.become || set<boolean>('DEFAULT_BECOME'),
            user: values['become-user'] ?? set<string>('DEFAULT_BECOME_USER'),
            method: (becomeMethod ?? set<string>('DEFAULT_BECOME_METHOD')) as 'sudo' | 'su' | undefined,
            allowSameUser: set<boolean>('BECOME_ALLOW_SAME_USER'),
          },
        },
        sink,
      );
      if (summary.startAtTaskFound) startAt = undefined;
      if (summary.exitCode !== EXIT.ok) {
        exitCode = summary.exitCode;
        break;
      }
    }
    // as ansible-playbook: an error after the run when no task matched; the exit code stays
    if (startAt !== undefined) err(`ERROR! No matching task "${startAt}" found. Note: --start-at-task can only follow static includes.\n`);
  } finally {
    void preconnected?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await outputs.finish();
  }
  return stop.signal.aborted ? exitForSignal(String(stop.signal.reason)) : exitCode;
}
