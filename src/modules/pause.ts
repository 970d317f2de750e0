import type { ModuleDef } from './types.js';

function stamp(d: Date): string {
  // Python's str(datetime.now()): 'YYYY-MM-DD HH:MM:SS.ffffff' in local time
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** pause: wait a number of seconds/minutes on the controller; prompts need a terminal. */
export const pauseModule: ModuleDef<{ seconds?: number; minutes?: number; prompt?: string; echo: boolean }> = {
  name: 'pause',
  description: 'Pause the play for a number of seconds or minutes (on the controller); a prompt waits for Enter.',
  notes: 'A prompt (or a pause without seconds/minutes, which waits for Enter) needs an interactive terminal:\nwithout one it is an error instead of a silent wait (CI jobs have no keyboard). Runs in check mode too, as in Ansible.',
  controllerOnly: true,
  argSpec: {
    seconds: { type: 'int', description: 'seconds to pause' },
    minutes: { type: 'int', description: 'minutes to pause' },
    prompt: { type: 'str', description: 'text shown while waiting for Enter' },
    echo: { type: 'bool', default: true, description: 'echo the keys typed at the prompt' },
  },
  mutuallyExclusive: [['minutes', 'seconds']],
  returns: { start: 'when the pause started', stop: 'when it ended', delta: 'seconds paused', stdout: "'Paused for N seconds|minutes'", user_input: 'what was typed at a prompt', echo: 'the echo argument' },
  async run(args, ctx) {
    const base = { changed: false, rc: 0, stderr: '', stdout: '', echo: args.echo, user_input: '' };
    const seconds = args.minutes !== undefined ? args.minutes * 60 : args.seconds;
    if (seconds === undefined || args.prompt !== undefined) {
      if (!process.stdin.isTTY) {
        return { ...base, failed: true, msg: 'pause: a prompt needs an interactive terminal, and stdin is not one (give seconds or minutes without a prompt)' };
      }
    }
    const start = new Date();
    let input = '';
    if (seconds !== undefined) {
      ctx.log(`Pausing for ${Math.max(1, seconds)} seconds`);
      await new Promise((r) => setTimeout(r, Math.max(1, seconds) * 1000));
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
