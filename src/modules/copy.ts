import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ModuleDef } from './types.js';
import { fileOptions, putFile } from './lib/remote-file.js';

export interface CopyArgs {
  src?: string;
  content?: unknown;
  dest: string;
  mode?: string;
  owner?: string;
  group?: string;
  backup?: boolean;
  force?: boolean;
  remote_src?: boolean;
  validate?: string;
}

/** copy: write `content`, or a controller file found in the role's files/ (or the host's file with remote_src). */
export const copyModule: ModuleDef<CopyArgs> = {
  name: 'copy',
  argSpec: {
    src: { type: 'path' },
    content: { type: 'raw' },
    dest: { type: 'path', required: true },
    mode: { type: 'mode' },
    owner: { type: 'str' },
    group: { type: 'str' },
    backup: { type: 'bool', default: false },
    force: { type: 'bool', default: true, aliases: ['thirsty'] },
    remote_src: { type: 'bool', default: false },
    validate: { type: 'str' },
  },
  requiredOneOf: [['src', 'content']],
  mutuallyExclusive: [['src', 'content']],
  async run(args, ctx) {
    const common = fileOptions(args, ctx);
    if (args.content !== undefined) {
      if (args.dest.endsWith('/')) return { changed: false, failed: true, msg: `can not use content with a dir as dest: ${args.dest}` };
      const text = typeof args.content === 'string' ? args.content : JSON.stringify(args.content);
      return putFile(ctx, { ...common, content: Buffer.from(text, 'utf8') });
    }
    if (!args.src) return { changed: false, failed: true, msg: 'one of src or content is required' };
    if (args.remote_src) {
      return putFile(ctx, { ...common, remoteSrc: args.src, baseName: basename(args.src) });
    }
    let local: string;
    try {
      local = ctx.findFile('files', args.src);
      if ((await stat(local)).isDirectory()) {
        return { changed: false, failed: true, msg: `src ${args.src} is a directory: recursive copy is not supported (use one task per file, or a loop)` };
      }
    } catch (e) {
      return { changed: false, failed: true, msg: `could not find src ${args.src}: ${(e as Error).message}` };
    }
    const content = await readFile(local);
    const r = await putFile(ctx, { ...common, content, baseName: basename(args.src) });
    r.src = local;
    return r;
  },
};
