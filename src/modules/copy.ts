import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ModuleDef } from './types.js';
import { isVaultText, vaultDecrypt, vaultSecrets } from '../vault/index.js';
import { fileOptions, putFile } from './lib/remote-file.js';
import { SELINUX_ARGS } from './lib/common-args.js';

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
  decrypt: boolean;
}

/** copy: write `content`, or a controller file found in the role's files/ (or the host's file with remote_src). */
export const copyModule: ModuleDef<CopyArgs> = {
  name: 'copy',
  description: "Copy a controller file or given content to the host (atomic; one round trip).",
  notes: "One round trip: the script compares the remote sha256 with the new content's and writes only if they\ndiffer. Content up to 1 MiB is sent with that script; larger content is sent in a second round trip\nonly when it must be written. `before` for `--diff` is fetched in the same round trip (up to 256 KiB).\n\nReturns `dest, checksum_sha256, mode, owner, group, uid, gid, size`, `src`, `backup_file`, `diff`.",
  argSpec: {
    ...SELINUX_ARGS,
    src: { description: "controller file (role files/, then the playbook dir); with remote_src a file on the host", type: 'path' },
    content: { description: "text to write instead of src (non-strings as JSON)", type: 'raw' },
    dest: { description: "destination path (an existing directory with src: dest/<basename>)", type: 'path', required: true },
    mode: { description: "permissions: octal ('0644') or symbolic", type: 'mode' },
    owner: { description: "owner name or uid", type: 'str' },
    group: { description: "group name or gid", type: 'str' },
    backup: { description: "keep the old file as dest.<pid>.<date>~", type: 'bool', default: false },
    force: { description: "no: leave an existing dest alone", type: 'bool', default: true, aliases: ['thirsty'] },
    remote_src: { description: "src is on the host", type: 'bool', default: false },
    validate: { description: "command run on the temporary file first; must contain %s", type: 'str' },
    decrypt: { description: "a vault-encrypted src is decrypted on the controller (with the run's vault secrets) before it is sent", type: 'bool', default: true },
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
    let content: Buffer = await readFile(local);
    // as Ansible's copy: a vaulted src file is sent decrypted (unless decrypt: false)
    if (args.decrypt && isVaultText(content)) content = vaultDecrypt(content.toString('latin1'), vaultSecrets(), args.src);
    const r = await putFile(ctx, { ...common, content, baseName: basename(args.src) });
    r.src = local;
    return r;
  },
};
