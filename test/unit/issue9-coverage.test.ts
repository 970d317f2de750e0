/**
 * Issue 9's coverage table (docs/python_venv_build.md, from src/venvbuild/issue9-coverage.ts) is up to
 * date and names real tests, as module-argspec-oracle does for docs/modules.md's oracle table; plus
 * the point-5 checks that need no lab: one runner, one builder, one error type, the whole package sent.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection, ExecOptions } from '../../src/connection/types.js';
import { remotePrelude, remoteProgram } from '../../src/remote/assemble.js';
import { RemoteError } from '../../src/remote/run.js';
import { ISSUE9_COVERAGE, issue9CoverageMarkdown } from '../../src/venvbuild/issue9-coverage.js';
import { buildWheels as wheelsCliBuild, VenvError, type VenvSpec } from '../../src/venv/ensure.js';
import { buildScript, buildWheels, WheelBuildError } from '../../src/wheels/build.js';
import { ROOT } from '../helpers/cli.js';

/** A connection that records each command and answers with a failed build result. */
function recorder(): { conn: Connection; calls: { command: string; stdin: Buffer }[] } {
  const calls: { command: string; stdin: Buffer }[] = [];
  const conn: Connection = {
    host: 'bh',
    transport: 'local',
    connect: async () => {},
    exec: async (command: string, opts?: ExecOptions) => {
      calls.push({ command, stdin: Buffer.from(opts?.stdin ?? '') });
      return { stdout: 'WW-RESULT {"ok": false, "kind": "build", "stage": "build", "error": "pip failed", "tail": "t", "log": "/l"}\n', stderr: '', code: 1 };
    },
    put: async () => {},
    get: async () => Buffer.alloc(0),
    close: async () => {},
  };
  return { conn, calls };
}

describe('issue 9 coverage', () => {
  it('docs/python_venv_build.md has the generated "Issue 9 coverage" section', () => {
    const doc = readFileSync(join(ROOT, 'docs/python_venv_build.md'), 'utf8');
    expect(doc.includes(issue9CoverageMarkdown()), `paste issue9CoverageMarkdown() (src/venvbuild/issue9-coverage.ts) into docs/python_venv_build.md:\n${issue9CoverageMarkdown()}`).to.equal(true);
  });

  it('each file named exists and holds the named test or text', () => {
    const points = new Set(ISSUE9_COVERAGE.map((r) => r.point));
    expect([...points]).to.include.members(['1', '2', '3', '4', '5', '6', '7', 'Acc.']);
    for (const r of ISSUE9_COVERAGE) {
      expect(r.shown.length, r.what).to.be.greaterThan(0);
      for (const s of r.shown) {
        const f = join(ROOT, s.file);
        expect(existsSync(f), s.file).to.equal(true);
        const text = readFileSync(f, 'utf8');
        if ((s.kind ?? 'test') === 'test') {
          // a mocha case `it('TITLE'` / `it("TITLE"` / it(`TITLE`, or a Python `def TITLE(`
          const quoted = [`'${s.text.replace(/'/g, "\\'")}'`, `"${s.text}"`, `\`${s.text}\``];
          const found = s.file.endsWith('.py') ? text.includes(`def ${s.text}(`) : quoted.some((q) => text.includes(`it(${q}`));
          expect(found, `${s.file} has the test "${s.text}"`).to.equal(true);
        } else {
          expect(text.includes(s.text), `${s.file} holds "${s.text}"`).to.equal(true);
        }
      }
    }
  });

  it('the program sent carries every module of src/remote/wwremote', () => {
    const dir = join(ROOT, 'src/remote/wwremote');
    const modules = readdirSync(dir).filter((n) => n.endsWith('.py')).map((n) => n.slice(0, -3));
    const prelude = remotePrelude();
    for (const m of modules) {
      const name = m === '__init__' ? 'wwremote' : `wwremote.${m}`;
      expect(prelude, name).to.include(`${JSON.stringify(name)}: ${JSON.stringify(readFileSync(join(dir, `${m}.py`), 'utf8'))}`);
    }
  });

  it('the role and `wheelwright wheels` send the same builder (build_wheels.py) through the one runner; its errors are RemoteError', async () => {
    const key = remoteProgram('build_wheels.py', buildScript()).key;
    // the role's build (src/venvbuild/builds.ts calls this buildWheels)
    expect(readFileSync(join(ROOT, 'src/venvbuild/builds.ts'), 'utf8')).to.match(/import \{[^}]*\bbuildWheels\b[^}]*\} from '\.\.\/wheels\/build\.js'/);
    const role = recorder();
    const e1 = await buildWheels(role.conn, { venvPath: '/openstack/venvs/x', key: 'debian-12-x86_64', requirements: ['x'] }).catch((e: unknown) => e);
    expect(e1).to.be.instanceOf(WheelBuildError).and.instanceOf(RemoteError);
    // `wheelwright wheels` (src/cli/wheels.ts calls src/venv/ensure.ts's buildWheels)
    expect(readFileSync(join(ROOT, 'src/cli/wheels.ts'), 'utf8')).to.match(/import \{ buildWheels \} from '\.\.\/venv\/ensure\.js'/);
    const cli = recorder();
    const builder: VenvSpec = { path: '/var/cache/ww/builder', requirements: ['setuptools'] };
    const e2 = await wheelsCliBuild(cli.conn, { builder, wheelDir: '/tmp/wheels', requirements: ['x'] }).catch((e: unknown) => e);
    expect(e2).to.be.instanceOf(VenvError).and.instanceOf(RemoteError);
    for (const { calls } of [role, cli]) {
      expect(calls).to.have.length(1); // ONE command
      expect(calls[0]!.command).to.match(/^'?python3'? -S -c /);
      expect(calls[0]!.stdin.subarray(0, key.length + 1).toString()).to.equal(`${key} `);
    }
  });
});
