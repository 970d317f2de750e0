import type { ModuleDef } from './types.js';

function stamp(d: Date): string {
  // Python's str(datetime.now()): 'YYYY-MM-DD HH:MM:SS.ffffff' in local time
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/**
 * Python's int() of an argument, as Ansible's pause validates seconds/minutes (its spec's type is
 * the `int` callable): a float is cut to its integer part, a string must be an integer literal.
 */
function pyInt(name: string, v: unknown): number | string {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[-+]?\d+(_\d+)*\s*$/.test(v)) return Number.parseInt(v.replace(/_/g, ''), 10);
  const lit = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return `argument '${name}' is of type <class '${Array.isArray(v) ? 'list' : v === null ? 'NoneType' : typeof v === 'object' ? 'dict' : 'str'}'> and we were unable to convert to int: invalid literal for int() with base 10: ${lit}`;
}

/** pause: wait a number of seconds/minutes on the controller; waiting for Enter needs a terminal. */
export const pauseModule: ModuleDef<{ seconds?: unknown; minutes?: unknown; prompt?: string; echo: boolean }> = {
  name: 'pause',
  description: 'Pause the play for a number of seconds or minutes (on the controller); a prompt waits for Enter.',
  notes:
    "A pause without seconds/minutes waits for Enter: that needs an interactive terminal, and without one it is an error\n(Ansible warns and goes on without waiting; CI jobs have no keyboard). With seconds/minutes a prompt is only shown,\nas in Ansible. seconds/minutes are read as Python's int() reads them (a float is cut: `minutes: 0.5` is 0, and\na pause is at least one second). Runs in check mode too, as in Ansible.",
  controllerOnly: true,
  argSpec: {
    seconds: { type: 'raw', description: 'seconds to pause (an integer; a float is cut to its integer part, as Ansible does)' },
    minutes: { type: 'raw', description: 'minutes to pause (an integer; a float is cut to its integer part, as Ansible does)' },
    prompt: { type: 'str', description: 'text shown while waiting for Enter' },
    echo: { type: 'bool', default: true, description: 'echo the keys typed at the prompt' },
  },
  mutuallyExclusive: [['minutes', 'seconds']],
  returns: { start: 'when the pause started', stop: 'when it ended', delta: 'seconds paused', stdout: "'Paused for N seconds|minutes'", user_input: 'what was typed at a prompt', echo: 'the echo argument' },
  async run(args, ctx) {
    const base = { changed: false, rc: 0, stderr: '', stdout: '', echo: args.echo, user_input: '' };
    let seconds: number | undefined;
    for (const k of ['minutes', 'seconds'] as const) {
      if (args[k] === undefined || args[k] === null) continue;
      const n = pyInt(k, args[k]);
      if (typeof n === 'string') return { changed: false, failed: true, msg: n };
      seconds = k === 'minutes' ? n * 60 : n;
      break;
    }
    if (seconds === undefined && !process.stdin.isTTY) {
      return { ...base, failed: true, msg: 'pause: waiting for Enter needs an interactive terminal, and stdin is not one (give seconds or minutes)' };
    }
    const start = new Date();
    let input = '';
    if (seconds !== undefined) {
      seconds = Math.max(1, seconds);
      ctx.log(`Pausing for ${seconds} seconds`);
      if (args.prompt !== undefined) process.stderr.write(`${args.prompt}:\n`);
      await new Promise((r) => setTimeout(r, seconds! * 1000));
    } else {
      process.stderr.write(`${args.prompt ?? 'Press enter to continue, Ctrl+C to interrupt'}:\n`);
      input = await new Promise<string>((resolve) => {
        let buf = '';
        const on = (d: Buffer) => {
          buf += d.toString();
          const nl = buf.indexOf('\n');
          if (nl >= 0) {
            process.stdin.off('data', on);
            process.stdin.pause();
            resolve(buf.slice(0, nl).replace(/\r$/, ''));
          }
        };
        process.stdin.on('data', on);
        process.stdin.resume();
      });
    }
    const stop = new Date();
    const dur = (stop.getTime() - start.getTime()) / 1000;
    const shown = args.minutes !== undefined || seconds === undefined ? Math.round((dur / 60) * 100) / 100 : Math.round(dur * 100) / 100;
    const unit = args.seconds !== undefined ? 'seconds' : 'minutes';
    // Python prints a whole float as '1.0'
    const text = Number.isInteger(shown) ? shown.toFixed(1) : String(shown);
    return { ...base, start: stamp(start), stop: stamp(stop), delta: Math.floor(dur), stdout: `Paused for ${text} ${unit}`, user_input: input };
  },
};
