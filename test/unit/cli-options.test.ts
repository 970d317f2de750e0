import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main, PLAYBOOK } from '../../src/cli/main.js';
import { VENV_COMMANDS } from '../../src/cli/venv.js';
import { WHEELS } from '../../src/cli/wheels.js';
import { helpText, parseCommand, UsageError, type CommandDecl } from '../../src/cli/options.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Run main() in-process, capturing stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = [process.stdout.write, process.stderr.write] as const;
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    [process.stdout.write, process.stderr.write] = saved;
  }
}

const HELP_SHAPE = /^usage: wheelwright .+\n(       wheelwright .+\n)*\n(.+\n)*\noptions:\n(  .+\n)+(\n.+\n)*$/;

describe('CLI: one option parser, one help format', () => {
  const commands: Array<[string[], CommandDecl]> = [
    [[], PLAYBOOK],
    ...Object.entries(VENV_COMMANDS).map(([n, c]) => [['venv', n], c] as [string[], CommandDecl]),
    [['wheels'], WHEELS],
  ];

  for (const [words, decl] of commands) {
    it(`'wheelwright ${[...words, '--help'].join(' ')}' lists every declared option in the one format`, async () => {
      const r = await cli([...words, '--help']);
      expect(r.code).to.equal(0);
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.equal(helpText(decl));
      expect(r.stdout).to.match(HELP_SHAPE);
      for (const [name, d] of Object.entries(decl.options)) {
        expect(r.stdout).to.include(`--${name}`);
        if (d.short) expect(r.stdout).to.include(`-${d.short}, `);
      }
    });
    it(`'wheelwright ${[...words, '--no-such-option'].join(' ')}' is exit 5 with ERROR and the synopsis`, async () => {
      const r = await cli([...words, '--no-such-option']);
      expect(r.code).to.equal(5);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal(`ERROR: Unknown option '--no-such-option'\nusage: wheelwright ${decl.usage.join('\n       wheelwright ')}\n(wheelwright ${decl.name ? `${decl.name} ` : ''}--help for all options)\n`);
    });
  }

  for (const words of [['inventory'], ['lab'], ['venv'], ['demo'], ['doc']]) {
    it(`'wheelwright ${words.join(' ')} --help' has the same shape`, async () => {
      const r = await cli([...words, '--help']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(HELP_SHAPE);
    });
  }

  it('bad values name the option, exit 5, no stack trace', async () => {
    for (const args of [['-f', '0', 'x.yml'], ['--timeout', 'soon', 'x.yml'], ['--output', 'xml', 'x.yml'], ['venv', 'create', 'a', 'b', '--keep', '0'], ['venv', 'gc', '--keep-days', 'x'], ['wheels', 'r.txt', '-w', ''], ['lab', 'up', 'many'], ['inventory', '--list', '--host', 'h']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).to.equal(5);
      expect(r.stderr, args.join(' ')).to.match(/^ERROR: .+\nusage: wheelwright /);
      expect(r.stderr).to.not.match(/\n\s+at /);
    }
  });

  it('aliases merge into their option; -- passes a command through untouched', () => {
    const p = parseCommand(VENV_COMMANDS.run, ['r.txt', '-w', 'a', '--find-links', 'b', '-f', 'c', '--', 'python', '-c', '--help']);
    expect(p.values.wheels).to.deep.equal(['a', 'b', 'c']);
    expect(p.positionals).to.deep.equal(['r.txt']);
    expect(p.rest).to.deep.equal(['python', '-c', '--help']);
    expect(p.help).to.equal(false);
    expect(() => parseCommand(WHEELS, ['--pins'])).to.throw(UsageError, /--pins/);
  });

  it('no command parses argv by hand: node:util parseArgs is called in src/cli/options.ts only', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') && files.push(join(d, e.name));
    };
    walk(join(ROOT, 'src'));
    // the connection broker's entry takes its socket path, the one argument of a process no user starts
    const offenders = files.filter((f) => !f.endsWith('cli/options.ts') && !f.endsWith('connection/broker-main.ts') && /import\s*\{[^}]*\bparseArgs\b[^}]*\}\s*from\s*'node:util'|\butil\.parseArgs\b|process\.argv/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => f.slice(ROOT.length + 1))).to.deep.equal([]);
  });

  it('-k, -K and --ask-vault-pass without a terminal: exit 5 and what to do instead, before any host is touched; --flush-cache is accepted', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const { writeFileSync, existsSync, rmSync } = await import('node:fs');
    const dir = tempDir('ww-ask-');
    const marker = join(dir, 'marker');
    writeFileSync(join(dir, 'hosts'), 'h1 ansible_connection=local\n');
    writeFileSync(join(dir, 'pb.yml'), `- hosts: h1\n  gather_facts: false\n  tasks:\n    - file: {path: "${marker}", state: touch}\n`);
    const base = [join(dir, 'pb.yml'), '-i', join(dir, 'hosts')];
    for (const [opt, instead] of [['-k', /ansible_password/], ['-K', /ansible_become_password/], ['--ask-vault-pass', /--vault-password-file/]] as const) {
      const r = await runCli([...base, opt]); // stdin is a pipe, not a terminal
      expect(r.code, opt).to.equal(5);
      expect(r.stderr, opt).to.match(/^ERROR: .*needs a terminal to ask on; without one, /).and.to.match(instead);
      expect(r.stderr).to.not.match(/\n\s+at /);
      expect(existsSync(marker), `${opt}: no task ran`).to.equal(false);
    }
    const ok = await runCli([...base, '--flush-cache']);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(existsSync(marker)).to.equal(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints a fail's list or mapping msg as JSON (Ansible keeps its type), not JavaScript's text of it", async () => {
    const { writeFileSync, rmSync } = await import('node:fs');
    const dir = tempDir('ww-failmsg-');
    writeFileSync(join(dir, 'hosts'), 'h1 ansible_connection=local\n');
    writeFileSync(join(dir, 'pb.yml'), '- hosts: h1\n  gather_facts: false\n  tasks:\n    - {fail: {msg: [boom, 2]}, ignore_errors: true}\n    - fail: {msg: {a: 1}}\n');
    const r = await cli(['-i', join(dir, 'hosts'), join(dir, 'pb.yml'), '--retry-file', 'none']);
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).to.equal(2);
    expect(r.stdout).to.include('FAILED! ["boom",2]').and.include('FAILED! {"a":1}').and.not.include('[object Object]');
  });
});
