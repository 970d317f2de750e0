import { shQuote } from '../shell/quote.js';
import type { FileDiff, ModuleDef } from './types.js';
import { SH_HASH, SH_OUT, execFailure, parseMarked, run } from './lib/exec.js';
import { doIni, readIniLines } from './lib/ini.js';
import { putFile } from './lib/remote-file.js';
import { SELINUX_ARGS } from './lib/common-args.js';

export interface IniFileArgs {
  path: string;
  section?: string;
  option?: string;
  value?: string;
  values?: string[];
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
  notes: "The file is edited as community.general's ini_file (6.6.2) does, line for line: other sections, comments\nand blank lines are kept; `present` takes over a commented-out option (`# key = v`); a new option goes\nafter the section's last line that is not blank or a comment; a new section is appended; a new file\nstarts with a blank line; CRLF line ends become LF when the file is written. One round trip reads the\nfile, a second writes it (only when the content or attributes change), atomically. `diff` shows the\nwhole file before/after. In check mode, as in Ansible, only a content change is predicted.",
  collection: 'community.general',
  description: 'Manage options and sections of INI files (other sections, comments and blank lines kept).',
  diffMode: true,
  argSpec: {
    ...SELINUX_ARGS,
    path: { description: "the INI file", type: 'path', required: true, aliases: ['dest'] },
    section: { description: "section name; omitted: options before the first section", type: 'str' },
    option: { description: "option name", type: 'str', aliases: ['key'] },
    value: { description: "option value", type: 'str' },
    values: { description: "several values of the option (one line each)", type: 'list', elements: 'str' },
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
  mutuallyExclusive: [['value', 'values']],
  async run(args, ctx) {
    if (args.state === 'present' && !args.allow_no_value && args.value == null && !args.values?.length) {
      return { changed: false, failed: true, msg: "Parameter 'value(s)' must be defined if state=present and allow_no_value=False." };
    }
    const read = `${SH_OUT}\n${SH_HASH}\np=${shQuote(args.path)}
if [ -f "$p" ]; then ww_o exists 1; ww_o b64 "$(ww_b64 < "$p")"; elif [ -e "$p" ]; then ww_o exists notfile; else ww_o exists 0; fi`;
    const r = await run(ctx, read);
    if (r.code !== 0) return execFailure(`reading ${args.path}`, r);
    const kv = parseMarked(r.stdout).kv;
    if (kv.exists === 'notfile') return { changed: false, failed: true, msg: `${args.path} exists and is not a regular file`, path: args.path };
    const exists = kv.exists === '1';
    if (!exists && !args.create) return { changed: false, failed: true, rc: 257, msg: `Destination ${args.path} does not exist!` };
    const raw = exists ? Buffer.from(kv.b64 ?? '', 'base64') : Buffer.alloc(0);
    const before = raw.toString('utf8');
    const edit = doIni(exists ? before : null, {
      section: args.section,
      option: args.option,
      values: args.value != null ? [args.value] : (args.values ?? []),
      state: args.state,
      exclusive: args.exclusive,
      noExtraSpaces: args.no_extra_spaces,
      allowNoValue: args.allow_no_value,
    });
    const diff = (): FileDiff[] => [{ path: args.path, before: exists ? readIniLines(before).join('') : '', after: edit.text }];
    // as the module: attributes are applied (and change `changed`) only outside check mode, to a file that exists
    const attrs = !ctx.check && (exists || edit.changed) && (args.mode !== undefined || args.owner !== undefined || args.group !== undefined);
    if (!edit.changed && !attrs) {
      return { changed: false, path: args.path, msg: edit.msg, ...(ctx.diff ? { diff: diff() } : {}) };
    }
    const res = await putFile(ctx, {
      dest: args.path,
      content: edit.changed ? Buffer.from(edit.text, 'utf8') : raw,
      mode: args.mode,
      owner: args.owner,
      group: args.group,
      backup: args.backup && edit.changed,
      check: ctx.check,
      diff: false,
    });
    res.path = args.path;
    if (!res.failed) {
      res.msg = edit.msg;
      if (edit.changed) res.changed = true;
      if (ctx.diff) res.diff = diff();
    }
    return res;
  },
};
