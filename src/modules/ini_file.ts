import { shQuote } from '../shell/quote.js';
import type { FileDiff, ModuleDef } from './types.js';
import { SH_HASH, SH_OUT, execFailure, parseMarked, run } from './lib/exec.js';
import { editIni } from './lib/ini.js';
import { putFile } from './lib/remote-file.js';

export interface IniFileArgs {
  path: string;
  section?: string;
  option?: string;
  value?: string;
  state: 'present' | 'absent';
  mode?: string;
  owner?: string;
  group?: string;
  create: boolean;
  backup: boolean;
  no_extra_spaces: boolean;
  allow_no_value: boolean;
  exclusive: boolean;
}

/** Read the current file (one round trip), edit it locally, write it back with the shared atomic writer. */
export const iniFileModule: ModuleDef<IniFileArgs> = {
  name: 'ini_file',
  notes: "Other sections, comments and blank lines are kept; a new option goes after the section's last\nnon-blank line; a new section is appended. One round trip reads the file, a second writes it (only\nwhen the content or attributes change), atomically. `diff` shows the whole file before/after.",
  collection: 'community.general',
  description: 'Manage options and sections of INI files (other sections, comments and blank lines kept).',
  diffMode: true,
  argSpec: {
    path: { description: "the INI file", type: 'path', required: true, aliases: ['dest'] },
    section: { description: "section name; omitted: options before the first section", type: 'str' },
    option: { description: "option name", type: 'str', aliases: ['key'] },
    value: { description: "option value", type: 'str' },
    state: { description: "present or absent", type: 'str', choices: ['present', 'absent'], default: 'present' },
    mode: { description: "permissions", type: 'mode' },
    owner: { description: "owner", type: 'str' },
    group: { description: "group", type: 'str' },
    create: { description: "create the file when missing", type: 'bool', default: true },
    backup: { description: "keep the old file", type: 'bool', default: false },
    no_extra_spaces: { description: "write 'k=v' instead of 'k = v'", type: 'bool', default: false },
    allow_no_value: { description: "an option without a value", type: 'bool', default: false },
    exclusive: { description: "remove other occurrences of the option in the section", type: 'bool', default: true },
  },
  async run(args, ctx) {
    const read = `${SH_OUT}\n${SH_HASH}\np=${shQuote(args.path)}
if [ -f "$p" ]; then ww_o exists 1; ww_o b64 "$(ww_b64 < "$p")"; elif [ -e "$p" ]; then ww_o exists notfile; else ww_o exists 0; fi`;
    const r = await run(ctx, read);
    if (r.code !== 0) return execFailure(`reading ${args.path}`, r);
    const kv = parseMarked(r.stdout).kv;
    if (kv.exists === 'notfile') return { changed: false, failed: true, msg: `${args.path} exists and is not a regular file`, path: args.path };
    const exists = kv.exists === '1';
    if (!exists && !args.create) return { changed: false, failed: true, msg: `Destination ${args.path} does not exist!`, path: args.path };
    if (!exists && args.state === 'absent') return { changed: false, path: args.path, msg: 'OK' };
    const before = exists ? Buffer.from(kv.b64 ?? '', 'base64').toString('utf8') : '';
    const after = editIni(before, {
      section: args.section,
      option: args.option,
      value: args.value,
      state: args.state,
      noExtraSpaces: args.no_extra_spaces,
      allowNoValue: args.allow_no_value,
      exclusive: args.exclusive,
    });
    const contentChanged = !exists || after !== before;
    if (!contentChanged && args.mode === undefined && args.owner === undefined && args.group === undefined) {
      return { changed: false, path: args.path, msg: 'OK' };
    }
    const res = await putFile(ctx, {
      dest: args.path,
      content: Buffer.from(after, 'utf8'),
      mode: args.mode,
      owner: args.owner,
      group: args.group,
      backup: args.backup,
      check: ctx.check,
      diff: false,
    });
    res.path = args.path;
    if (!res.failed) {
      res.msg = contentChanged ? (args.state === 'absent' ? 'option changed' : exists ? 'option changed' : 'created') : res.changed ? 'attributes changed' : 'OK';
      if (ctx.diff && contentChanged) {
        const d: FileDiff = { path: args.path, before, after };
        res.diff = [d];
      }
    }
    return res;
  },
};
