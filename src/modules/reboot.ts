import { shQuote } from '../shell/quote.js';
import { UnreachableError, type ExecResult } from '../connection/types.js';
import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';

export interface RebootArgs {
  reboot_command?: string;
  test_command: string;
  boot_time_command: string;
  reboot_timeout: number;
  connect_timeout?: number;
  pre_reboot_delay: number;
  post_reboot_delay: number;
  msg: string;
  search_paths: string[];
}

const DEFAULT_PATHS = ['/sbin', '/bin', '/usr/sbin', '/usr/bin', '/usr/local/sbin'];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A lost connection reads as "no answer yet": the caller resets and tries again. */
class Lost extends Error {}

/** One low-level command (Ansible's _low_level_execute_command: the login shell, become when set). */
async function low(ctx: ModuleContext, command: string, timeoutMs?: number): Promise<ExecResult> {
  try {
    const r = await ctx.conn.exec(command, { become: ctx.become, timeoutMs });
    if (r.code === null) throw new Lost(`no exit status from '${command}' (the connection went away)`);
    return r;
  } catch (e) {
    if (e instanceof UnreachableError) throw new Lost(e.message);
    throw e;
  }
}

/**
 * Retry `action` until it succeeds or `timeoutS` passes (Ansible's do_until_success_or_timeout):
 * after a lost connection the transport is reset, so the next try reconnects with the same
 * settings. Backoff 0.25 s doubling to 12 s (Ansible starts at 1 s; its jitter is left out).
 */
async function untilSuccess(ctx: ModuleContext, timeoutS: number, desc: string, action: () => Promise<void>): Promise<void> {
  const end = Date.now() + timeoutS * 1000;
  for (let n = 0; Date.now() < end; n++) {
    try {
      return await action();
    } catch (e) {
      if (!(e instanceof Lost) && !(e instanceof NotYet)) throw e;
      if (e instanceof Lost) await ctx.conn.reset?.().catch(() => undefined);
      ctx.log(`reboot: ${desc} failed (${e.message}), retrying`);
      await sleep(Math.min(12_000, 250 * 2 ** n));
    }
  }
  throw new TimedOut(`Timed out waiting for ${desc} (timeout=${timeoutS})`);
}
class NotYet extends Error {}
class TimedOut extends Error {}

/** reboot: run the reboot command, wait until the boot id changes, then until test_command succeeds. */
export const rebootModule: ModuleDef<RebootArgs> = {
  name: 'reboot',
  description: 'Reboot the host, wait for it to go down, come back up over the same connection settings, and answer a test command.',
  notes:
    "As Ansible's action: the boot id (`boot_time_command`) is read before, the reboot command runs (a connection that drops\n" +
    'while it runs counts as success), then after `post_reboot_delay` the boot id is polled until it changes (the SSH\n' +
    'connection is reset and opened again with the same settings whenever it was lost), then `test_command` until it\n' +
    'succeeds, both within `reboot_timeout`. Without `reboot_command`: `shutdown -r <pre_reboot_delay // 60> "<msg>"`; a\n' +
    "command that is not an absolute path is looked up in `search_paths`. `pre_reboot_delay` only applies to that default\n" +
    'command (as in Ansible). Check mode: changed and rebooted, nothing runs. Refused on a local connection.\n\n' +
    'Differences: polling starts after 0.25 s and doubles up to 12 s (Ansible: 1 s, doubling, with jitter);\n' +
    '`connect_timeout` bounds each boot-id and test command (Ansible sets it as the connection timeout).',
  checkMode: 'full',
  argSpec: {
    reboot_command: { type: 'str', description: 'the command that reboots (default: shutdown -r with the delay and msg)' },
    test_command: { type: 'str', default: 'whoami', description: 'must succeed after the reboot' },
    boot_time_command: { type: 'str', default: 'cat /proc/sys/kernel/random/boot_id', description: 'prints something that changes with every boot' },
    reboot_timeout: { type: 'int', default: 600, aliases: ['reboot_timeout_sec'], description: 'seconds to wait for the host to come back and pass the test' },
    connect_timeout: { type: 'int', aliases: ['connect_timeout_sec'], description: 'seconds for each check after the reboot' },
    pre_reboot_delay: { type: 'int', default: 0, aliases: ['pre_reboot_delay_sec'], description: 'seconds before the default shutdown command reboots (rounded down to minutes)' },
    post_reboot_delay: { type: 'int', default: 0, aliases: ['post_reboot_delay_sec'], description: 'seconds to wait after the reboot command before checking' },
    msg: { type: 'str', default: 'Reboot initiated by Ansible', description: 'message of the default shutdown command' },
    search_paths: { type: 'list', elements: 'str', default: DEFAULT_PATHS, description: 'where to look for a reboot command that is not an absolute path' },
  },
  returns: { rebooted: 'whether the host rebooted', elapsed: 'seconds from the reboot command to the end' },
  async run(args, ctx) {
    if (ctx.conn.transport === 'local') {
      return { changed: false, elapsed: 0, rebooted: false, failed: true, msg: 'Running reboot with local connection would reboot the control node.' };
    }
    if (ctx.check) return { changed: true, elapsed: 0, rebooted: true };
    const pre = Math.max(0, args.pre_reboot_delay);
    const post = Math.max(0, args.post_reboot_delay);
    const perTry = args.connect_timeout ? args.connect_timeout * 1000 : undefined;

    const bootId = async (): Promise<string> => {
      const r = await low(ctx, args.boot_time_command, perTry);
      if (r.code !== 0) {
        throw new Error(`reboot: failed to get host boot time info, rc: ${r.code}, stdout: ${r.stdout}, stderr: ${r.stderr}`);
      }
      return r.stdout.trim();
    };
    let before: string;
    try {
      before = await bootId();
    } catch (e) {
      return { changed: false, failed: true, reboot: false, msg: (e as Error).message };
    }

    // the command: the given one (its first word looked up unless absolute), or shutdown -r
    const given = args.reboot_command;
    const bin = given !== undefined ? given.split(' ', 1)[0]! : 'shutdown';
    const rest = given !== undefined ? (given.includes(' ') ? given.slice(given.indexOf(' ') + 1) : '') : `-r ${Math.floor(pre / 60)} "${args.msg}"`;
    let path = bin;
    if (!bin.startsWith('/')) {
      const find = await low(ctx, `for d in ${args.search_paths.map(shQuote).join(' ')}; do [ -e "$d"/${shQuote(bin)} ] && { printf '%s\\n' "$d"/${shQuote(bin)}; break; }; done; true`);
      path = find.stdout.split('\n')[0] ?? '';
      if (!path) return { changed: false, failed: true, msg: `Unable to find command "${bin}" in search paths: [${args.search_paths.map((x) => `'${x}'`).join(', ')}]` };
    }
    let reboot: ExecResult = { code: 0, stdout: '', stderr: '' };
    try {
      reboot = await low(ctx, `${path} ${rest}`);
    } catch (e) {
      if (!(e instanceof Lost)) throw e; // the host went down under the command: that is the reboot
    }
    const start = Date.now();
    const elapsed = () => Math.floor((Date.now() - start) / 1000);
    if (reboot.code !== 0) {
      return { changed: false, failed: true, rebooted: false, elapsed: elapsed(), msg: `Reboot command failed. Error was: '${reboot.stdout.trim()}, ${reboot.stderr.trim()}'` };
    }
    if (post) await sleep(post * 1000);
    const result: ModuleResult = { changed: false };
    try {
      await untilSuccess(ctx, args.reboot_timeout, 'last boot time check', async () => {
        const now = await bootId().catch((e) => {
          throw e instanceof Lost ? e : new NotYet((e as Error).message);
        });
        if (now === '' || now === before) throw new NotYet('boot time has not changed');
      });
      await untilSuccess(ctx, args.reboot_timeout, 'post-reboot test command', async () => {
        const r = await low(ctx, args.test_command, perTry);
        if (r.code !== 0) throw new NotYet(`Test command failed: ${r.stderr} ${r.stdout}`);
      });
      Object.assign(result, { rebooted: true, changed: true });
    } catch (e) {
      if (!(e instanceof TimedOut)) throw e;
      Object.assign(result, { failed: true, rebooted: true, msg: e.message });
    }
    result.elapsed = elapsed();
    return result;
  },
};
