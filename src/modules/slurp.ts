import { shQuote } from '../shell/quote.js';
import type { ModuleDef } from './types.js';
import { SH_HASH, SH_OUT, execFailure, parseMarked, run } from './lib/exec.js';

export interface SlurpArgs {
  src: string;
}

/** slurp: fetch a remote file's content, base64-encoded. */
export const slurpModule: ModuleDef<SlurpArgs> = {
  name: 'slurp',
  description: "Read a file from the host, base64-encoded.",
  notes: "Argument: `src` (alias `path`). Returns `content` (base64), `encoding: base64`, `source`. Fails when\nthe file is missing, unreadable, or a directory.",
  argSpec: { src: { description: "the file to read", type: 'path', required: true, aliases: ['path'] } },
  async run(args, ctx) {
    const script = `${SH_OUT}\n${SH_HASH}\np=${shQuote(args.src)}
if [ -d "$p" ]; then ww_o error isdir; elif [ ! -e "$p" ]; then ww_o error missing; elif [ ! -r "$p" ]; then ww_o error unreadable
else ww_o content "$(ww_b64 < "$p")"; fi`;
    const r = await run(ctx, script);
    if (r.code !== 0) return execFailure(`slurp ${args.src}`, r);
    const kv = parseMarked(r.stdout).kv;
    if (kv.error === 'isdir') return { changed: false, failed: true, msg: `source is a directory and must be a file: ${args.src}` };
    if (kv.error === 'missing') return { changed: false, failed: true, msg: `file not found: ${args.src}` };
    if (kv.error === 'unreadable') return { changed: false, failed: true, msg: `file is not readable: ${args.src}` };
    if (kv.content === undefined) return execFailure(`slurp ${args.src}`, r);
    return { changed: false, content: kv.content, encoding: 'base64', source: args.src };
  },
};
