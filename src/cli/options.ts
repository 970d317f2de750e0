/**
 * One way to declare and parse a subcommand's options (node:util parseArgs underneath) and one help
 * format for all of them: each command declares its options once, with their help text, and both
 * the parser and `--help` come from that declaration.
 */
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';

export interface OptionDecl {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** the value's placeholder in the help (DIR, N, FILE) */
  arg?: string;
  help: string;
  /** another spelling of that option: its values are merged into it (help shows it there) */
  aliasOf?: string;
}

export interface CommandDecl<O extends Record<string, OptionDecl> = Record<string, OptionDecl>> {
  /** e.g. 'venv create'; '' for the playbook command */
  name: string;
  /** synopsis lines after `wheelwright ` */
  usage: string[];
  /** a paragraph after the synopsis */
  about?: string;
  options: O;
  /** text after the options (exit codes, environment) */
  footer?: string;
  /** everything after `--` is returned apart (a command to run), not as positionals */
  passThrough?: boolean;
}

type ValueOf<D extends OptionDecl> = D['type'] extends 'boolean'
  ? D['multiple'] extends true ? boolean[] : boolean
  : D['multiple'] extends true ? string[] : string;

export type OptionValues<O extends Record<string, OptionDecl>> = { -readonly [K in keyof O]?: ValueOf<O[K]> };

export interface Parsed<O extends Record<string, OptionDecl>> {
  values: OptionValues<O>;
  positionals: string[];
  /** arguments after `--` when the command declares passThrough */
  rest: string[];
}

/** A mistake on the command line: reported as `ERROR: msg`, the command's synopsis, exit 5. */
export class UsageError extends UserError {
  constructor(message: string, readonly command?: CommandDecl<any>) {
    super(message);
    this.name = 'UsageError';
  }
}

const HELP: OptionDecl = { type: 'boolean', short: 'h', help: 'show this help and exit' };

/** Parse argv by the command's declaration. `--help` is every command's; it returns `help: true`. */
export function parseCommand<O extends Record<string, OptionDecl>>(cmd: CommandDecl<O>, argv: string[]): Parsed<O> & { help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, d] of Object.entries({ ...cmd.options, help: HELP })) {
    options[name] = { type: d.type, ...(d.short ? { short: d.short } : {}), ...(d.multiple ? { multiple: true } : {}) };
  }
  let args = argv;
  let rest: string[] = [];
  if (cmd.passThrough) {
    const at = argv.indexOf('--');
    if (at >= 0) [args, rest] = [argv.slice(0, at), argv.slice(at + 1)];
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError(err.message.replace(/\. To specify an? (option|positional) argument .*$/s, ''), cmd);
    throw e;
  }
  const values = parsed.values as Record<string, unknown>;
  // an option that needs a value must not get an empty one (`--wheels ''`)
  for (const [name, d] of Object.entries(cmd.options)) {
    const v = values[name];
    if (d.type === 'string' && (v === '' || (Array.isArray(v) && v.includes('')))) throw new UsageError(`option --${name} needs a non-empty value`, cmd);
  }
  for (const [name, d] of Object.entries(cmd.options)) {
    if (!d.aliasOf || values[name] === undefined) continue;
    const target = cmd.options[d.aliasOf]!;
    const v = values[name];
    values[d.aliasOf] = target.multiple ? [...((values[d.aliasOf] as unknown[]) ?? []), ...(v as unknown[])] : v;
    delete values[name];
  }
  const help = values.help === true;
  delete values.help;
  return { values: values as OptionValues<O>, positionals: parsed.positionals, rest, help };
}

/** The help of a command, in the one format every command uses. */
export function helpText(cmd: CommandDecl<any>): string {
  const lines = cmd.usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}wheelwright ${u}`);
  if (cmd.about) lines.push('', cmd.about.trim());
  const all = Object.entries({ ...cmd.options, help: HELP } as Record<string, OptionDecl>);
  const spell = (name: string, d: OptionDecl) => `${d.short ? `-${d.short}, ` : ''}--${name}`;
  const rows = all.filter(([, d]) => !d.aliasOf).map(([name, d]) => {
    const aliases = all.filter(([, a]) => a.aliasOf === name).map(([n, a]) => `, ${spell(n, a)}`).join('');
    const flag = `${d.short ? `-${d.short}, ` : '    '}--${name}${aliases}${d.arg ? ` ${d.arg}` : ''}`;
    const help = !d.multiple ? d.help : d.help.endsWith(')') ? `${d.help.slice(0, -1)}; repeatable)` : `${d.help} (repeatable)`;
    return [flag, help] as const;
  });
  const width = Math.min(30, Math.max(...rows.map(([f]) => f.length)) + 2);
  lines.push('', 'options:');
  for (const [flag, help] of rows) lines.push(flag.length + 2 > width ? `  ${flag}\n  ${' '.repeat(width)}${help}` : `  ${flag.padEnd(width)}${help}`);
  if (cmd.footer) lines.push('', cmd.footer.trim());
  return lines.join('\n') + '\n';
}

/** The short form after an error: the synopsis and where the full help is. */
export function usageHint(cmd: CommandDecl<any>): string {
  const lines = cmd.usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}wheelwright ${u}`);
  lines.push(`(wheelwright ${cmd.name ? `${cmd.name} ` : ''}--help for all options)`);
  return lines.join('\n') + '\n';
}

/** How a command-line mistake is shown, the same for every command. */
export function usageErrorText(e: UsageError, fallback: CommandDecl<any>): string {
  return `ERROR: ${e.message}\n${usageHint(e.command ?? fallback)}`;
}

/** A whole number >= min from an option's text, or a UsageError naming the option. */
export function intOption(cmd: CommandDecl<any>, name: string, text: string | undefined, dflt: number, min = 0): number {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`--${name} must be a whole number >= ${min}, got '${text}'`, cmd);
  return Number(text);
}

/** A number >= min (fractions allowed) from an option's text. */
export function numberOption(cmd: CommandDecl<any>, name: string, text: string | undefined, dflt: number | undefined, min = 0): number | undefined {
  if (text === undefined) return dflt;
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) < min) throw new UsageError(`--${name} must be a number >= ${min}, got '${text}'`, cmd);
  return Number(text);
}
