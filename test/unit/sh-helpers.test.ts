import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { SH_ATTRS, SH_HASH, SH_MODE } from '../../src/modules/lib/exec.js';
import { shQuote } from '../../src/shell/quote.js';
import { tempDir } from '../helpers/tmp.js';

/** The shell helpers that keep a module's no-op to few processes give what the processes they replace give (dash and bash). */
describe('modules: shell helpers without processes', () => {
  const shells = ['/bin/dash', '/bin/bash'].filter((s) => spawnSync(s, ['-c', 'true']).status === 0);
  const sh = (shell: string, script: string, env?: NodeJS.ProcessEnv) => {
    const r = spawnSync(shell, ['-c', `${SH_ATTRS}\n${SH_MODE}\n${SH_HASH}\n${script}`], { encoding: 'utf8', env: env ?? process.env });
    expect(r.status, r.stderr).to.equal(0);
    return r.stdout;
  };

  it('ww_dir_base is dirname and basename', () => {
    const paths = ['/etc/nginx/conf.d/x.conf', 'x', '/x', '/', './x', '../a/b', 'a/./b', 'a/.', 'a//b', '//x', 'a/b/', '/a b/c d', '-x/y', "a'b/c\"d", 'a/\nb/c\n', ''];
    for (const shell of shells) {
      for (const p of paths) {
        const got = sh(shell, `ww_dir_base ${shQuote(p)}; printf '%s|%s' "$ww_dir" "$ww_base"`);
        const want = sh(shell, `printf '%s|%s' "$(dirname -- ${shQuote(p)})" "$(basename -- ${shQuote(p)})"`);
        if (p.endsWith('\n')) continue; // $(dirname) drops the newline the name ends with; ww_dir_base keeps it
        expect(got, `${shell} ${JSON.stringify(p)}`).to.equal(want);
      }
    }
  });

  it('ww_want_mode normalises octal modes as printf %o did, symbolic ones on a scratch file', () => {
    for (const shell of shells) {
      for (const m of ['755', '0755', '00644', '0', '000', '4755', '1777', '7']) {
        expect(sh(shell, `ww_want_mode 644 ${m} 0; printf '%s' "$ww_wm"`), `${shell} ${m}`).to.equal(sh(shell, `printf '%o' "0${m}"`));
      }
      expect(sh(shell, `ww_want_mode 644 u+x,g-r 0; printf '%s' "$ww_wm"`)).to.equal('704');
      expect(sh(shell, `ww_want_mode 755 a-x 1; printf '%s' "$ww_wm"`)).to.equal('644');
      expect(sh(shell, `ww_want_mode 644 nonsense 0 2>/dev/null && echo ok || echo bad`)).to.equal('bad\n');
    }
  });

  it('ww_attrs reads mode, ids, size and names (names with spaces too) in one stat; ww_sum is sha256sum', () => {
    const d = tempDir('ww-sh-');
    try {
      const f = join(d, 'a file');
      writeFileSync(f, 'hello\n');
      chmodSync(f, 0o640);
      // a stat that answers as for an owner and group whose names hold spaces
      writeFileSync(join(d, 'stat'), `#!/bin/sh\nprintf '600 1001 1002 7\\nmy user\\nmy group\\n'\n`);
      chmodSync(join(d, 'stat'), 0o755);
      for (const shell of shells) {
        const real = sh(shell, `ww_attrs "stat -L" ${shQuote(f)}; printf '%s|' "$a_mode" "$a_uid" "$a_gid" "$a_size" "$a_own" "$a_grp"`);
        const want = sh(shell, `stat -L -c '%a|%u|%g|%s|%U|%G|' -- ${shQuote(f)}`).trim();
        expect(real, shell).to.equal(want);
        const stub = sh(shell, `ww_attrs stat x; printf '%s|' "$a_mode" "$a_uid" "$a_gid" "$a_size" "$a_own" "$a_grp"`, { ...process.env, PATH: `${d}:${process.env.PATH}` });
        expect(stub).to.equal('600|1001|1002|7|my user|my group|');
        const missing = sh(shell, `ww_attrs stat ${shQuote(join(d, 'nope'))} 2>/dev/null; printf '%s|' "$a_mode" "$a_own" "$a_grp"`);
        expect(missing).to.equal('|||');
        expect(sh(shell, `ww_sum < ${shQuote(f)}; printf '%s' "$ww_h"`)).to.equal(sh(shell, `sha256sum < ${shQuote(f)} | cut -d' ' -f1`).trim());
      }
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
