import { randomBytes } from 'node:crypto';
import type { ModuleDef, ModuleResult } from './types.js';
import { execFailure, parseMarked, run, statFields } from './lib/exec.js';
import { composeFileStateScript, type FileScriptParams } from './lib/file-script.js';
import { SELINUX_ARGS } from './lib/common-args.js';

export interface FileArgs {
  path: string;
  state?: 'file' | 'directory' | 'absent' | 'link' | 'touch' | 'hard';
  src?: string;
  mode?: string;
  owner?: string;
  group?: string;
  recurse: boolean;
  force: boolean;
  follow: boolean;
}

const ERRORS: Record<string, (a: FileArgs) => string> = {
  absent: (a) => `file (${a.path}) is absent, cannot continue`,
  isdir: (a) => `${a.path} is a directory`,
  notdir: (a) => `${a.path} exists and is not a directory`,
  nosrc: (a) => `src is required for state=${a.state}`,
  srcmissing: (a) => `src file ${a.src} does not exist${a.state === 'link' ? ', use force=yes if you really want to create the link' : ''}`,
  dirnotempty: (a) => `the directory ${a.path} is not empty, refusing to convert it`,
  dirtolink: (a) => `refusing to convert from directory to symlink for ${a.path} (use force=yes)`,
  filetolink: (a) => `refusing to convert from file to symlink for ${a.path} (use force=yes)`,
  filetohard: (a) => `Cannot link, file exists at destination ${a.path} (use force=yes)`,
  rm: (a) => `could not remove ${a.path}`,
  mkdir: (a) => `could not create directory ${a.path}`,
  touch: (a) => `could not touch ${a.path}`,
  ln: (a) => `could not create the link ${a.path}`,
  rename: (a) => `could not rename the new link onto ${a.path}`,
  chown: (a) => `chown ${a.owner} ${a.path} failed`,
  chgrp: (a) => `chgrp ${a.group} ${a.path} failed`,
  chmod: (a) => `chmod ${a.mode} ${a.path} failed`,
  badmode: (a) => `bad mode ${JSON.stringify(a.mode)}`,
};

/** file: ensure a path's type (file, directory, link, hard link, absent, touch) and attributes, in one round trip. */
export const fileModule: ModuleDef<FileArgs> = {
  name: 'file',
  description: "Set a path's type (file, directory, link, hard, absent, touch) and attributes.",
  notes: "`touch` is always `changed` (it updates the times). `file` fails if the path is absent; `directory`\nfails if a non-directory is in the way. Links are created beside the path and renamed onto it.\nIn check mode with a symbolic `mode` and `recurse`, `changed` is assumed.\nReturns `path, state, mode, owner, group, uid, gid, size`, and a state `diff`.",
  argSpec: {
    ...SELINUX_ARGS,
    path: { description: "the path to manage", type: 'path', required: true, aliases: ['dest', 'name'] },
    state: { description: "default: the current type; link when src is given", type: 'str', choices: ['file', 'directory', 'absent', 'link', 'touch', 'hard'] },
    src: { description: "link target", type: 'path' },
    mode: { description: "permissions: octal or symbolic", type: 'mode' },
    owner: { description: "owner name or uid", type: 'str' },
    group: { description: "group name or gid", type: 'str' },
    recurse: { description: "directory: apply attributes to everything below", type: 'bool', default: false },
    force: { description: "replace what is in the way of a link", type: 'bool', default: false },
    follow: { description: "follow symlinks for attributes", type: 'bool', default: true },
  },
  async run(args, ctx) {
    if (args.recurse && args.state !== undefined && args.state !== 'directory') {
      return { changed: false, failed: true, msg: 'recurse option requires state to be directory' };
    }
    const params: FileScriptParams = {
      path: args.path,
      state: args.state ?? '',
      src: args.src,
      mode: args.mode,
      owner: args.owner,
      group: args.group,
      recurse: args.recurse,
      force: args.force,
      follow: args.follow,
      check: ctx.check,
      tag: randomBytes(6).toString('hex'),
    };
    const r = await run(ctx, composeFileStateScript(params));
    if (r.code !== 0) return execFailure(`file ${args.path}`, r);
    const kv = parseMarked(r.stdout).kv;
    if (kv.error) {
      const f = ERRORS[kv.error];
      const err = r.stderr.trim();
      return { changed: false, failed: true, path: args.path, msg: `${f ? f({ ...args, state: args.state ?? (kv.state as FileArgs['state']) }) : kv.error}${err ? `: ${err}` : ''}` };
    }
    if (!('changed' in kv)) return execFailure(`file ${args.path}`, r);
    const state = kv.state ?? args.state ?? 'file';
    // Ansible reports what the path is afterwards: a touched path is a file (add_path_info)
    const shown = state === 'touch' ? 'file' : state;
    const result: ModuleResult = { changed: kv.changed === '1', path: args.path, state: ctx.check ? shown : kv.mode ? shown : 'absent' };
    if (kv.mode) Object.assign(result, statFields(kv));
    if (args.src) result.src = args.src;
    if (ctx.diff && result.changed) {
      result.diff = [{ path: args.path, before: `path: ${args.path}\nstate: ${kv.prev}\n`, after: `path: ${args.path}\nstate: ${state}\n${args.mode ? `mode: ${args.mode}\n` : ''}` }];
    }
    return result;
  },
};
