/**
 * The public-playbook corpus check (issue 13's acceptance): pick playbooks and role task files
 * from checkouts of public Ansible projects, run `ansible-playbook --syntax-check` and
 * `wheelwright --syntax-check` on each, and print a Markdown table (docs/compatibility.md keeps the
 * last one). Role task files are loaded the way a play uses them: a small play with
 * `import_role: {name: ROLE_DIR, tasks_from: FILE}`, with the project's role directories as the
 * roles path (ANSIBLE_ROLES_PATH) for both tools. Nothing of the projects is copied anywhere.
 *
 *   node --import tsx scripts/corpus-check.ts [--per-project N] [--json FILE] DIR...
 *
 * The checkouts are the caller's (e.g. openstack/openstack-ansible, openstack/kolla-ansible,
 * kubernetes-sigs/kubespray, k3s-io/k3s-ansible, ansible/ansible-examples,
 * geerlingguy/ansible-for-devops). The selection is deterministic: per project, playbooks (YAML
 * lists of plays) and role task files spread evenly over the sorted file list. The checkout's root is
 * on PYTHONPATH for both tools, as an installed project's package would be (kolla-ansible's filter
 * plugins import `kolla_ansible`, which needs python3-pbr and python3-bcrypt from Debian).
 */
import { execFile } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');
const SKIP_DIRS = new Set(['.git', '.github', 'group_vars', 'host_vars', 'templates', 'files', 'molecule', 'zuul.d', 'releasenotes', 'doc', 'docs', 'node_modules', 'vars', 'defaults', 'meta', 'handlers', 'inventory', 'inventories', 'contrib', 'test', 'tests']);

interface Pick {
  project: string;
  file: string; // absolute
  kind: 'playbook' | 'tasks';
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    let st;
    try {
      st = lstatSync(p); // symlinked directories (kubespray's extra_playbooks/roles) would list files twice
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name) || (name === 'tasks')) walk(p, out);
    } else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

/** What a YAML file is: a playbook (plays or import_playbook), a task list, or neither. */
function classify(file: string): 'playbook' | 'tasks' | undefined {
  let data: unknown;
  try {
    data = YAML.parse(readFileSync(file, 'utf8'), { version: '1.1', logLevel: 'silent', uniqueKeys: false });
  } catch {
    return undefined;
  }
  if (!Array.isArray(data) || data.length === 0 || !data.every((x) => x && typeof x === 'object' && !Array.isArray(x))) return undefined;
  const keys = (x: object) => Object.keys(x).map((k) => k.replace(/^ansible\.builtin\./, ''));
  if (data.every((x) => keys(x).some((k) => k === 'hosts' || k === 'import_playbook'))) return 'playbook';
  if (/\/roles\/[^/]+\/tasks\//.test(file)) return 'tasks';
  return undefined;
}

/** `n` items spread evenly over `xs`. */
function spread<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[Math.floor((i * xs.length) / n)]!);
  return out;
}

function pick(dir: string, perProject: number): Pick[] {
  const project = basename(resolve(dir));
  const files = walk(resolve(dir));
  const playbooks: string[] = [];
  const tasks: string[] = [];
  for (const f of files) {
    if (/\/roles\/[^/]+\/tasks\/[^/]+\.ya?ml$/.test(f)) {
      if (classify(f) === 'tasks') tasks.push(f);
    } else if (!/\/roles\//.test(f) && classify(f) === 'playbook') playbooks.push(f);
  }
  const nPlay = Math.min(playbooks.length, Math.ceil(perProject / 2));
  const nTasks = Math.min(tasks.length, perProject - nPlay);
  return [
    ...spread(playbooks, nPlay + Math.max(0, perProject - nPlay - nTasks)).map((file) => ({ project, file, kind: 'playbook' as const })),
    ...spread(tasks, nTasks).map((file) => ({ project, file, kind: 'tasks' as const })),
  ];
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { cwd, env, timeout: 180_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      res({ code, out: `${stdout}\n${stderr}` });
    });
  });
}

/** The first line that says what went wrong. */
function firstError(out: string): string {
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  const l = lines.find((x) => /^ERROR!|^ERROR:|error|not found|unknown|couldn't|could not/i.test(x)) ?? lines[0] ?? '';
  return l.replace(/\|/g, '\\|').slice(0, 220);
}

/** The area a wheelwright problem line points at. */
function areaOf(line: string): string {
  if (/is an Ansible keyword that wheelwright does not support|keyword '[^']+' in .* must be .*, got string "\{\{/.test(line)) return 'task keyword (issue 13, taskkw)';
  if (/unknown module|module '[^']+' .*is not supported|wheelwright has these modules|unsupported argument|argument '[^']+' of module/i.test(line)) return 'module (issue 11)';
  if (/filter|lookup|test '|template|jinja/i.test(line)) return 'templating';
  return 'engine';
}

/** Why wheelwright refused a file: the areas of its problem lines, modules last (they are issue 11's list). */
function reason(out: string): string {
  const lines = out.split('\n').map((l) => l.trim()).filter((l) => /^(ERROR: )?\S+:\d+:\d+: |^ERROR: /.test(l));
  const areas = [...new Set(lines.map(areaOf))];
  const order = ['engine', 'task keyword (issue 13, taskkw)', 'templating', 'module (issue 11)'];
  return order.find((a) => areas.includes(a)) ?? 'engine';
}

/** The first problem line of that area. */
function errorOf(out: string, area: string): string {
  const lines = out.split('\n').map((l) => l.trim()).filter((l) => /^(ERROR: )?\S+:\d+:\d+: |^ERROR: /.test(l));
  return (lines.find((l) => areaOf(l) === area) ?? firstError(out)).replace(/\|/g, '\\|').slice(0, 220);
}

interface Row {
  project: string;
  file: string;
  kind: string;
  ansible: boolean;
  wheelwright: boolean;
  ansibleError?: string;
  wheelwrightError?: string;
  area?: string;
  /** For a file refused for modules: what a load with stand-ins for the missing modules says ('loads', or its first problem). */
  behindModules?: string;
}

/** The module names a wheelwright load refused as missing. */
function missingModules(out: string): string[] {
  return [...new Set([...out.matchAll(/unknown module '([^']+)'|module '([^']+)' in task .* is not supported by wheelwright/g)].map((m) => (m[1] ?? m[2])!))];
}

async function check(p: Pick, work: string): Promise<Row> {
  const projectRoot = p.file.slice(0, p.file.indexOf(`/${p.project}/`) + p.project.length + 2);
  const rolesDirs = [...new Set(walkRolesDirs(projectRoot))];
  const env = {
    ...process.env,
    ANSIBLE_ROLES_PATH: rolesDirs.join(':'),
    // the project's own Python package importable, as where it is installed (kolla-ansible's filter plugins import kolla_ansible)
    PYTHONPATH: [projectRoot.replace(/\/$/, ''), process.env.PYTHONPATH].filter(Boolean).join(':'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_LOCALHOST_WARNING: 'False',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
    NO_COLOR: '1',
  };
  let pb = p.file;
  if (p.kind === 'tasks') {
    const roleDir = dirname(dirname(p.file));
    const tasksFrom = relative(join(roleDir, 'tasks'), p.file);
    pb = join(work, `${p.project}-${basename(roleDir)}-${tasksFrom.replace(/[/.]/g, '_')}.yml`);
    writeFileSync(pb, `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - import_role:\n        name: ${roleDir}\n        tasks_from: ${tasksFrom}\n`);
  }
  const cwd = dirname(pb);
  const [a, w] = await Promise.all([
    run('ansible-playbook', ['--syntax-check', '-i', 'localhost,', pb], cwd, env),
    run(process.execPath, [join(ROOT, 'bin/wheelwright.js'), pb, '--syntax-check', '-i', 'localhost,'], cwd, env),
  ]);
  const row: Row = { project: p.project, file: relative(projectRoot, p.file), kind: p.kind, ansible: a.code === 0, wheelwright: w.code === 0 };
  if (!row.ansible) row.ansibleError = firstError(a.out);
  if (!row.wheelwright) {
    row.area = reason(w.out);
    row.wheelwrightError = errorOf(w.out, row.area);
  }
  if (row.ansible && row.area === 'module (issue 11)') {
    // load again with stand-ins for the missing modules (more may show once the first are in)
    const names = new Set(missingModules(w.out));
    for (let i = 0; i < 5; i++) {
      const s = await run(process.execPath, ['--import', TSX, join(ROOT, 'scripts/corpus-stub-run.ts'), pb, '--syntax-check', '-i', 'localhost,'], cwd, { ...env, WW_CORPUS_STUB_MODULES: [...names].join(',') });
      if (s.code === 0) {
        row.behindModules = 'loads';
        break;
      }
      const more = missingModules(s.out).filter((n) => !names.has(n));
      if (more.length && i < 4) {
        more.forEach((n) => names.add(n));
        continue;
      }
      const area = reason(s.out);
      row.behindModules = `${area}: ${errorOf(s.out, area)}`;
      break;
    }
  }
  return row;
}

function walkRolesDirs(root: string): string[] {
  const out: string[] = [];
  const visit = (d: string, depth: number) => {
    if (depth > 4) return;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      if (n === '.git') continue;
      const p = join(d, n);
      try {
        if (!statSync(p).isDirectory()) continue;
      } catch {
        continue;
      }
      if (n === 'roles') out.push(p);
      else visit(p, depth + 1);
    }
  };
  visit(root, 0);
  return out.sort();
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'per-project': { type: 'string', default: '12' }, json: { type: 'string' }, jobs: { type: 'string', default: '2' } } });
  if (positionals.length === 0) {
    process.stderr.write('usage: node --import tsx scripts/corpus-check.ts [--per-project N] [--jobs N] [--json FILE] CHECKOUT_DIR...\n');
    process.exit(5);
  }
  const picks = positionals.flatMap((d) => pick(d, Number(values['per-project'])));
  const work = mkdtempSync(join(tmpdir(), 'ww-corpus-'));
  const rows: Row[] = [];
  let next = 0;
  const worker = async () => {
    while (next < picks.length) {
      const p = picks[next++]!;
      const r = await check(p, work);
      rows.push(r);
      process.stderr.write(`${rows.length}/${picks.length} ${r.project}/${r.file}: ansible ${r.ansible ? 'ok' : 'FAIL'}, wheelwright ${r.wheelwright ? 'ok' : 'FAIL'}\n`);
    }
  };
  await Promise.all(Array.from({ length: Number(values.jobs) }, worker));
  rmSync(work, { recursive: true, force: true });
  rows.sort((x, y) => (x.project + x.file < y.project + y.file ? -1 : 1));
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
  const loadsA = rows.filter((r) => r.ansible);
  const both = loadsA.filter((r) => r.wheelwright);
  const byArea = (a: string) => loadsA.filter((r) => !r.wheelwright && r.area === a).length;
  const out: string[] = [];
  out.push(`${rows.length} files from ${new Set(rows.map((r) => r.project)).size} projects; ansible-playbook loads ${loadsA.length}, wheelwright loads ${both.length} of those ` +
    `(refused: ${byArea('module (issue 11)')} for a module only, ${byArea('task keyword (issue 13, taskkw)')} for a task keyword, ${byArea('templating')} for templating, ${byArea('engine')} for the engine); ` +
    `wheelwright loads ${rows.filter((r) => r.wheelwright && !r.ansible).length} that ansible-playbook refuses.\n`);
  const behind = loadsA.filter((r) => r.behindModules !== undefined);
  const behindLoads = behind.filter((r) => r.behindModules === 'loads').length;
  const behindArgs = behind.filter((r) => r.behindModules!.startsWith('module')).length;
  out.push(`Behind the modules: of the ${behind.length} files refused for modules, with stand-ins for the missing modules ${behindLoads} load, ` +
    `${behindArgs} stop at module arguments, ${behind.length - behindLoads - behindArgs} at something else` +
    (behind.length - behindLoads - behindArgs ? `:\n${behind.filter((r) => r.behindModules !== 'loads' && !r.behindModules!.startsWith('module')).map((r) => `- ${r.project}/${r.file}: ${r.behindModules}`).join('\n')}` : '.') + '\n');
  out.push('| project | file | kind | ansible-playbook | wheelwright | reason |');
  out.push('|---|---|---|---|---|---|');
  for (const r of rows) {
    const why = !r.ansible ? `ansible: ${r.ansibleError ?? ''}` : !r.wheelwright ? `${r.area}: ${r.wheelwrightError ?? ''}` : '';
    out.push(`| ${r.project} | ${r.file} | ${r.kind} | ${r.ansible ? 'ok' : 'fails'} | ${r.wheelwright ? 'ok' : 'fails'} | ${why} |`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

await main();
