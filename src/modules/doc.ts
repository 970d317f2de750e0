/**
 * Module documentation from the declarations alone: `wheelwright doc MODULE` (like ansible-doc)
 * and docs/modules.md (generated: `node bin/wheelwright.js doc --markdown > docs/modules.md`).
 */
import { oracleCoverageMarkdown } from './oracle-coverage.js';
import { allModules, fqcnOf } from './registry.js';
import type { ArgSpecEntry, ModuleDef } from './types.js';

function show(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function argFacts(e: ArgSpecEntry): string[] {
  const f: string[] = [];
  f.push(e.type === 'list' && e.elements ? `list of ${e.elements}` : e.type);
  if (e.required) f.push('required');
  if (e.default !== undefined) f.push(`default: ${show(e.default)}`);
  if (e.choices) f.push(`choices: ${e.choices.join(', ')}`);
  if (e.aliases?.length) f.push(`aliases: ${e.aliases.join(', ')}`);
  if (e.no_log) f.push('no_log');
  return f;
}

function constraints(def: ModuleDef<any>): string[] {
  const out: string[] = [];
  for (const g of def.requiredOneOf ?? []) out.push(`one of ${g.join(', ')} is required`);
  for (const g of def.mutuallyExclusive ?? []) out.push(`mutually exclusive: ${g.join(', ')}`);
  for (const g of def.requiredTogether ?? []) out.push(`required together: ${g.join(', ')}`);
  for (const [a, v, need, any] of def.requiredIf ?? []) out.push(`${a}=${show(v)} requires ${any ? 'one of' : 'all of'} ${need.join(', ')}`);
  if (def.freeForm) out.push('takes a free-form command');
  if (def.anyArgs) out.push('takes any variable name as an argument');
  return out;
}

function support(def: ModuleDef<any>): string {
  if (def.controllerOnly) return 'runs on the controller';
  const check = def.checkMode ?? 'full';
  return `check mode: ${check}; diff mode: ${def.diffMode ? 'yes' : 'no'}`;
}

/** Plain text, like ansible-doc's. */
export function moduleDocText(def: ModuleDef<any>): string {
  const lines: string[] = [];
  const fq = fqcnOf(def);
  lines.push(`> ${def.name.toUpperCase()}${fq ? `    (${fq})` : ''}`, '');
  if (def.description) lines.push(`  ${def.description}`, '');
  if (def.aliases?.length) lines.push(`  Also called: ${def.aliases.join(', ')}`, '');
  lines.push(`  ${support(def)}`, '');
  const names = Object.keys(def.argSpec).sort();
  if (names.length) lines.push('OPTIONS (= is mandatory):', '');
  for (const n of names) {
    const e = def.argSpec[n]!;
    lines.push(`${e.required ? '=' : '-'} ${n}`);
    if (e.description) lines.push(`        ${e.description}`);
    lines.push(`        ${argFacts(e).join('; ')}`, '');
  }
  const cons = constraints(def);
  if (cons.length) lines.push('CONSTRAINTS:', ...cons.map((c) => `  - ${c}`), '');
  if (def.notes) lines.push('NOTES:', ...def.notes.trim().split('\n').map((l) => `  ${l}`), '');
  if (def.returns && Object.keys(def.returns).length) {
    lines.push('RETURN VALUES:', '');
    for (const [k, v] of Object.entries(def.returns)) lines.push(`- ${k}`, `        ${v}`, '');
  }
  return lines.join('\n');
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** One module's section of docs/modules.md. */
export function moduleDocMarkdown(def: ModuleDef<any>): string {
  const out: string[] = [];
  const fq = fqcnOf(def);
  out.push(`## ${def.name}`, '');
  out.push(`${fq ? `\`${fq}\`` : 'wheelwright\'s own'}${def.aliases?.length ? ` (also \`${def.aliases.join('`, `')}\`)` : ''} · ${support(def)}`, '');
  if (def.description) out.push(def.description, '');
  const names = Object.keys(def.argSpec).sort();
  if (names.length) {
    out.push('| Argument | Type | Default | Notes |', '|---|---|---|---|');
    for (const n of names) {
      const e = def.argSpec[n]!;
      const type = (e.type === 'list' && e.elements ? `list of ${e.elements}` : e.type) + (e.required ? ', required' : '');
      const notes = [e.description ?? '', e.choices ? `choices: ${e.choices.map((c) => `\`${c}\``).join(', ')}` : '', e.aliases?.length ? `aliases: ${e.aliases.map((a) => `\`${a}\``).join(', ')}` : '', e.no_log ? 'secret (no_log)' : '']
        .filter(Boolean)
        .join('; ');
      out.push(`| \`${n}\` | ${type} | ${e.default === undefined ? '' : `\`${mdCell(show(e.default))}\``} | ${mdCell(notes)} |`);
    }
    out.push('');
  }
  const cons = constraints(def);
  if (cons.length) out.push(`Constraints: ${cons.join('; ')}.`, '');
  if (def.notes) out.push(def.notes.trim(), '');
  if (def.returns && Object.keys(def.returns).length) {
    out.push('Returns: ' + Object.entries(def.returns).map(([k, v]) => `\`${k}\` (${v})`).join(', ') + '.', '');
  }
  return out.join('\n');
}

const INTRO = `# Modules

<!-- Generated from the modules' declarations (src/modules/*.ts): do not edit by hand.
     Regenerate: node bin/wheelwright.js doc --markdown > docs/modules.md -->

Built-in modules live in \`src/modules/\`, one file each: the file declares the module's arguments
once (names, aliases, types, defaults, choices, required, mutually exclusive, secret), and that
declaration drives validation at load time (file:line:col), validation of the rendered arguments at
run time, this page and \`wheelwright doc MODULE\` (like \`ansible-doc\`; \`wheelwright doc -l\` lists
them). Names, arguments and return values follow Ansible's. Short names, \`ansible.builtin.NAME\`,
\`ansible.legacy.NAME\` and the module's collection FQCN (\`ansible.posix.sysctl\`,
\`community.general.ini_file\`) all resolve to the same module. An unknown module is reported when
the playbook is loaded, with the closest module wheelwright has and the list of all of them; a
module from a collection wheelwright does not cover names that collection.

Common behaviour:

- Every result has \`changed\`; failures set \`failed\` and \`msg\`.
- Idempotent: a second run reports \`ok\` (\`changed: false\`).
- \`--check\` reports what would change and changes nothing; \`--diff\` returns
  \`diff: [{path, before, after}]\` where Ansible has a diff.
- Remote work is **one round trip** per task wherever possible. Shell-based modules compose one
  \`/bin/sh\` script (every value quoted) that prints \`@@ww key=value\` lines; Python-based modules
  (those whose semantics are Python's: regular expressions, HTTP, archives, user databases) send one
  Python program with its arguments as JSON on stdin (no file copied to the host, nothing left
  behind, no argument through a shell) and need \`python3\` on the host, as Ansible does
  (\`ansible_python_interpreter\` is honoured). The task's \`become\` and \`environment\` apply.
- Files are written atomically: a temporary file in the destination directory, then a rename.
- Arguments declared secret (\`no_log\`) are masked as \`********\` in results.

Deliberate differences from Ansible (each module's section says more):

- \`raw\` allocates no TTY: stderr is merged into stdout as over Ansible's \`ssh -tt\`, but lines end in \`\\n\`.
- \`uri\`: \`body_format: form-multipart\` is not supported; \`get_url\`/\`uri\` read no \`~/.netrc\`, send no
  \`Accept-Encoding\` and send every header on redirects (\`unredirected_headers\` is accepted and ignored).
- \`user\`/\`group\`: Linux shadow tools only (\`local: true\`, BSD, macOS, Solaris and SELinux options are not supported).
- \`git\`: no submodules, \`archive\`, GPG verification or \`separate_git_dir\`.
- \`mount\`: Linux only, no \`state: ephemeral\`. \`hostname\`: the systemd, debian, alpine, redhat, sles and generic strategies.
- \`unarchive\`: a controller archive up to 8 MiB travels inside the module's one round trip.
- \`get_url\`/\`uri\`: no \`use_gssapi\`, \`ciphers\` or \`unix_socket\`.
- \`ini_file\`: no \`attributes\` (chattr flags); the other modules that write files take it.
- The modules that edit a file's text (\`lineinfile\`, \`blockinfile\`, \`replace\`, \`yum_repository\`, \`cron\`, \`sysctl\`, ...)
  fsync it before renaming it into place; Ansible's atomic_move does not. A crash
  leaves the old or the new content, never an empty file. So \`attributes\` whose \`=\` clears ext4's \`e\` (extents) on a
  file just written does not fail there, where Ansible's chattr can ("Operation not supported", by I/O timing: ext4
  will not block-map a file whose extent is not yet written).
- \`setup\`: no \`fact_path\` (local facts, \`ansible_local\`, are not gathered).
- \`pause\`: without seconds/minutes (waiting for Enter) and no terminal on stdin it fails; Ansible warns and goes on.

The argument declarations are compared with ansible-core's by \`test/unit/module-argspec-oracle.test.ts\`; the
differences it allows are the ones listed here and in each module's section. See the "Oracle coverage" table at the end.
`;

export function modulesMarkdown(defs: ModuleDef<any>[] = allModules()): string {
  const index = defs.map((d) => `[\`${d.name}\`](#${d.name})`).join(' · ');
  return `${INTRO}\nModules: ${index}\n\n${defs.map(moduleDocMarkdown).join('\n')}\n${oracleCoverageMarkdown()}`.replace(/\n{3,}/g, '\n\n').replace(/\n*$/, '\n');
}
