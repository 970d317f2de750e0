/**
 * ini_file against the real module: every case runs community.general's ini_file in-process (one
 * python3 process, test/fixtures/ini-oracle/run_ini.py) and wheelwright's module on a local file;
 * the file after, changed, msg, failure and the diff must be the same.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { makeCtx, runModule } from '../fixtures/modules/ctx.js';
import { tempDir } from '../helpers/tmp.js';

interface Case { name: string; before: string | null; args: Record<string, unknown>; check?: boolean }

const INI = '# top\nglobal = 1\n\n[s]\n; note\nx = 1\n#y = old\nx = 2\n\n[t]\ny = 1\n';
const CASES: Case[] = [
  { name: 'new file, section and option', before: null, args: { section: 's', option: 'o', value: 'v' } },
  { name: 'new file, global option', before: null, args: { option: 'o', value: 'v' } },
  { name: 'new file, only a section', before: null, args: { section: 's', allow_no_value: true } },
  { name: 'new file, no_extra_spaces', before: null, args: { section: 's', option: 'o', value: 'v', no_extra_spaces: true } },
  { name: 'empty file', before: '', args: { section: 's', option: 'o', value: 'v' } },
  { name: 'no final newline, same value', before: '[s]\no = v', args: { section: 's', option: 'o', value: 'v' } },
  { name: 'no final newline, absent', before: '[s]\no = v', args: { section: 's', option: 'zz', state: 'absent' } },
  { name: 'change a value, duplicates removed', before: INI, args: { section: 's', option: 'x', value: '9' } },
  { name: 'value already there among duplicates', before: INI, args: { section: 's', option: 'x', value: '2' } },
  { name: 'non-exclusive keeps duplicates', before: INI, args: { section: 's', option: 'x', value: '9', exclusive: false } },
  { name: 'commented-out option taken over', before: INI, args: { section: 's', option: 'y', value: 'new' } },
  { name: 'new option after the last non-comment line', before: INI, args: { section: 's', option: 'z', value: '0' } },
  { name: 'new option in the global section', before: INI, args: { option: 'g2', value: 'x' } },
  { name: 'change in the global section', before: INI, args: { option: 'global', value: '2' } },
  { name: 'new section appended', before: INI, args: { section: 'new', option: 'k', value: 'v' } },
  { name: 'section absent', before: INI, args: { section: 's', state: 'absent' } },
  { name: 'missing section absent', before: INI, args: { section: 'nope', state: 'absent' } },
  { name: 'option absent (active only)', before: INI, args: { section: 's', option: 'y', state: 'absent' } },
  { name: 'option absent, all duplicates', before: INI, args: { section: 's', option: 'x', state: 'absent' } },
  { name: 'option absent, one value, non-exclusive', before: INI, args: { section: 's', option: 'x', values: ['1'], state: 'absent', exclusive: false } },
  { name: 'values: several lines', before: INI, args: { section: 's', option: 'x', values: ['1', '5', '7'] } },
  { name: 'values: already all there', before: '[s]\nx = 1\nx = 2\n', args: { section: 's', option: 'x', values: ['2', '1'] } },
  { name: 'values: deduplicated', before: null, args: { section: 's', option: 'x', values: ['a', 'b', 'a'] } },
  { name: 'values in a new section', before: INI, args: { section: 'n', option: 'x', values: ['a', 'b'] } },
  { name: 'allow_no_value option', before: INI, args: { section: 't', option: 'flag', allow_no_value: true } },
  { name: 'allow_no_value, option already bare', before: '[t]\nflag\n', args: { section: 't', option: 'flag', allow_no_value: true } },
  { name: 'allow_no_value replaces a valued line', before: '[t]\nflag = 1\n', args: { section: 't', option: 'flag', allow_no_value: true } },
  { name: 'no value and no allow_no_value fails', before: INI, args: { section: 's', option: 'x' } },
  { name: 'create false on a missing file fails', before: null, args: { section: 's', option: 'x', value: '1', create: false } },
  { name: 'absent on a missing file', before: null, args: { section: 's', option: 'x', state: 'absent' } },
  { name: 'CRLF file, value changed', before: '[s]\r\nx = 1\r\ny = 2\r\n', args: { section: 's', option: 'x', value: '3' } },
  { name: 'CRLF file, value unchanged', before: '[s]\r\nx = 1\r\n', args: { section: 's', option: 'x', value: '1' } },
  { name: 'BOM kept out', before: '\uFEFF[s]\nx = 1\n', args: { section: 's', option: 'x', value: '2' } },
  { name: 'spaces and tabs around =', before: '[s]\n  x\t=\t1\n', args: { section: 's', option: 'x', value: '1' } },
  { name: 'option name with regex characters', before: '[s]\na.b = 1\naxb = 2\n', args: { section: 's', option: 'a.b', value: '3' } },
  { name: 'section name prefix is not a match', before: '[ss]\nx = 1\n', args: { section: 's', option: 'x', value: '1' } },
  { name: 'indented section header is not a match', before: ' [s]\nx = 1\n', args: { section: 's', option: 'x', value: '1' } },
  { name: 'option in an empty section', before: '[s]\n[t]\n', args: { section: 's', option: 'x', value: '1' } },
  { name: 'option in a section of blanks and comments', before: '[s]\n\n# c\n\n[t]\n', args: { section: 's', option: 'x', value: '1' } },
  { name: 'check mode: change predicted, nothing written', before: INI, args: { section: 's', option: 'x', value: '9' }, check: true },
  { name: 'check mode: new file', before: null, args: { section: 's', option: 'x', value: '9' }, check: true },
  { name: 'value with = and spaces', before: null, args: { section: 's', option: 'url', value: 'a=b c' } },
  { name: 'empty value', before: '[s]\nx = 1\n', args: { section: 's', option: 'x', value: '' } },
];

type PyOut = { result: Record<string, any>; after: string | null };

describe('ini_file: the same files and results as community.general.ini_file (real module, in-process)', function () {
  this.timeout(60_000);
  let theirs: PyOut[];
  const base = tempDir('ww-ini-oracle-');

  before(() => {
    const out = execFileSync('/usr/bin/python3', [join(ROOT, 'test/fixtures/ini-oracle/run_ini.py')], {
      input: JSON.stringify(CASES.map((c) => ({ before: c.before, args: c.args, check: !!c.check }))),
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    });
    theirs = JSON.parse(out) as PyOut[];
  });

  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const dir = join(base, String(i));
      rmSync(dir, { recursive: true, force: true });
      execFileSync('mkdir', ['-p', dir]);
      const path = join(dir, 'f.ini');
      if (c.before !== null) writeFileSync(path, c.before);
      const r = await runModule('ini_file', { ...c.args, path }, makeCtx({ check: !!c.check, diff: true }));
      const t = theirs[i]!;
      const after = existsSync(path) ? readFileSync(path, 'utf8') : null;
      expect(after, 'file after').to.equal(t.after);
      expect(!!r.failed, `failed: ${r.msg}`).to.equal(!!t.result.failed);
      expect(r.changed, 'changed').to.equal(t.result.changed ?? false);
      expect(String(r.msg).split(path).join('F')).to.equal(String(t.result.msg).split(t.result.path ?? t.result.invocation?.module_args?.path).join('F'));
      if (t.result.failed) {
        expect(r.rc).to.equal(t.result.rc);
        return;
      }
      expect(r.diff?.[0]?.before, 'diff before').to.equal(t.result.diff.before);
      expect(r.diff?.[0]?.after, 'diff after').to.equal(t.result.diff.after);
    });
  });
});
