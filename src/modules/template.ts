import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import type { ModuleDef } from './types.js';
import { fileOptions, putFile } from './lib/remote-file.js';

export interface TemplateArgs {
  src: string;
  dest: string;
  mode?: string;
  owner?: string;
  group?: string;
  backup?: boolean;
  force?: boolean;
  validate?: string;
}

/** template: render a controller template (role templates/ dir) with the task's variables and write it like copy. */
export const templateModule: ModuleDef<TemplateArgs> = {
  name: 'template',
  argSpec: {
    src: { type: 'path', required: true },
    dest: { type: 'path', required: true },
    mode: { type: 'mode' },
    owner: { type: 'str' },
    group: { type: 'str' },
    backup: { type: 'bool', default: false },
    force: { type: 'bool', default: true },
    validate: { type: 'str' },
  },
  async run(args, ctx) {
    let path: string;
    let text: string;
    try {
      path = ctx.findFile('templates', args.src);
      text = await readFile(path, 'utf8');
    } catch (e) {
      return { changed: false, failed: true, msg: `could not find or read template ${args.src}: ${(e as Error).message}` };
    }
    let rendered: string;
    try {
      rendered = ctx.render(text, {
        template_path: path,
        template_fullpath: path,
        template_host: hostname(),
        template_destpath: args.dest,
        ansible_managed: 'Ansible managed',
      });
    } catch (e) {
      return { changed: false, failed: true, msg: `rendering ${args.src} failed: ${(e as Error).message}` };
    }
    const r = await putFile(ctx, { ...fileOptions(args, ctx), content: Buffer.from(rendered, 'utf8'), baseName: basename(args.src) });
    r.src = path;
    return r;
  },
};
