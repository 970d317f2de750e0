import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { extname, isAbsolute, join } from 'node:path';
import type { ModuleContext, ModuleDef } from './types.js';
import { nodeValue, parseYaml } from '../inventory/yaml-load.js';
import { UserError } from '../errors.js';

export interface IncludeVarsArgs {
  _raw_params?: string;
  file?: string;
  dir?: string;
  name?: string;
  files_matching?: string;
  ignore_files?: string[];
  extensions: string[];
  depth: number;
  ignore_unknown_extensions: boolean;
}

/** Ansible's search for a relative vars file: the role's vars/, the role, the playbook's vars/, the playbook dir. */
function locate(ctx: ModuleContext, name: string, kind: 'vars'): string {
  if (isAbsolute(name)) return name;
  const rolePath = typeof ctx.vars.role_path === 'string' ? ctx.vars.role_path : undefined;
  const candidates = [...(rolePath ? [join(rolePath, kind, name), join(rolePath, name)] : []), join(ctx.playbookDir, kind, name), join(ctx.playbookDir, name)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new UserError(`could not find or access '${name}' (looked in: ${candidates.join(', ')})`);
  return found;
}

function readVars(file: string): Record<string, unknown> {
  const y = parseYaml(file, readFileSync(file, 'utf8')); // PyYAML scalars, vault-encrypted files decrypted
  const v = nodeValue(y, y.doc.contents);
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new UserError(`${file}: must be a mapping of variable names to values`);
  return v as Record<string, unknown>;
}

function walk(dir: string, depth: number, level = 1): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      if (depth === 0 || level < depth) out.push(...walk(p, depth, level + 1));
    } else out.push(p);
  }
  return out;
}

/**
 * include_vars: variables from a YAML/JSON file, or every matching file of a directory, on the
 * controller; they become host variables (the set_fact level), under `name` when given.
 */
export const includeVarsModule: ModuleDef<IncludeVarsArgs> = {
  name: 'include_vars',
  description: 'Load variables from files (runs on the controller).',
  notes: 'Files are read as Ansible reads YAML (PyYAML scalars; vault-encrypted files decrypted with the run\'s vault secrets). The variables get the set_fact level of precedence (Ansible puts include_vars just above it).',
  controllerOnly: true,
  freeForm: true,
  argSpec: {
    _raw_params: { description: 'the file (free form)', type: 'str' },
    file: { description: 'the file to load', type: 'str' },
    dir: { description: 'load every file of this directory (sorted, by extension)', type: 'str' },
    name: { description: 'put the variables under this one variable', type: 'str' },
    files_matching: { description: 'with dir: only files whose name matches this regular expression', type: 'str' },
    ignore_files: { description: 'with dir: file names to skip', type: 'list', elements: 'str' },
    extensions: { description: 'with dir: extensions of files to load', type: 'list', elements: 'str', default: ['yaml', 'yml', 'json'] },
    depth: { description: 'with dir: how deep to go (0: all the way)', type: 'int', default: 0 },
    ignore_unknown_extensions: { description: 'with dir: skip files of other extensions (else they fail the task, as in Ansible)', type: 'bool', default: false },
  },
  async run(args, ctx) {
    const files: string[] = [];
    const single = args.file ?? args._raw_params;
    if (single !== undefined && args.dir !== undefined) return { changed: false, failed: true, msg: 'file and dir are mutually exclusive' };
    if (args.dir !== undefined) {
      const dir = locate(ctx, args.dir, 'vars');
      const match = args.files_matching !== undefined ? new RegExp(args.files_matching) : undefined;
      for (const f of walk(dir, args.depth)) {
        const base = f.slice(f.lastIndexOf('/') + 1);
        if (!args.extensions.includes(extname(f).slice(1))) {
          if (args.ignore_unknown_extensions) continue;
          return { changed: false, failed: true, msg: `${f} does not have a valid extension: ${args.extensions.join(', ')}` };
        }
        if (match && !match.test(base)) continue;
        if (args.ignore_files?.includes(base)) continue;
        files.push(f);
      }
    } else if (single !== undefined && String(single).trim() !== '') files.push(locate(ctx, String(single).trim(), 'vars'));
    else return { changed: false, failed: true, msg: 'include_vars needs a file or a dir' };
    const vars: Record<string, unknown> = {};
    for (const f of files) Object.assign(vars, readVars(f));
    return { changed: false, ansible_facts: args.name ? { [args.name]: vars } : vars, ansible_included_var_files: files };
  },
};
