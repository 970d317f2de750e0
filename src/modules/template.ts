import { readFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename } from 'node:path';
import type { ModuleDef } from './types.js';
import { fileOptions, putFile } from './lib/remote-file.js';
import { SELINUX_ARGS } from './lib/common-args.js';

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

function templateUid(path: string): string {
  try {
    return userInfo({ uid: statSync(path).uid } as never).username;
  } catch {
    return String(statSync(path).uid);
  }
}

/** template: render a controller template (role templates/ dir) with the task's variables and write it like copy. */
export const templateModule: ModuleDef<TemplateArgs> = {
  name: 'template',
  description: "Render a template on the controller and write it to the host (atomic).",
  notes: "`src` (required; found in the role's `templates/` then the playbook dir) is rendered with the\ntask's variables: a `.j2` (any name not ending in `.hbs`) with Jinja, `trim_blocks` on, as Ansible's\ntemplate module (see variables.md); a `.hbs` file with Handlebars. Variables added: `template_path`,\n`template_fullpath`, `template_host`, `template_destpath`, `template_uid`, `ansible_managed`; then written\nlike `copy`. Arguments: `src`, `dest`, `mode`, `owner`, `group`, `backup`, `force`, `validate`. Same return values.",
  argSpec: {
    ...SELINUX_ARGS,
    src: { description: "template file (role templates/, then the playbook dir)", type: 'path', required: true },
    dest: { description: "destination path", type: 'path', required: true },
    mode: { description: "permissions: octal ('0644') or symbolic", type: 'mode' },
    owner: { description: "owner name or uid", type: 'str' },
    group: { description: "group name or gid", type: 'str' },
    backup: { description: "keep the old file", type: 'bool', default: false },
    force: { description: "no: leave an existing dest alone", type: 'bool', default: true },
    validate: { description: "command run on the temporary file first; must contain %s", type: 'str' },
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
      rendered = ctx.renderFile(text, path, {
        template_path: path,
        template_fullpath: path,
        template_host: hostname(),
        template_destpath: args.dest,
        ansible_managed: 'Ansible managed',
        template_uid: templateUid(path),
      });
    } catch (e) {
      return { changed: false, failed: true, msg: `rendering ${args.src} failed: ${(e as Error).message}` };
    }
    const r = await putFile(ctx, { ...fileOptions(args, ctx), content: Buffer.from(rendered, 'utf8'), baseName: basename(args.src) });
    r.src = path;
    return r;
  },
};
