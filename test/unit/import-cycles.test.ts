import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

// .ci/run runs scripts/check-cycles.sh on a fresh build of src/; this shows the check catches a cycle.
describe('import-cycle check (scripts/check-cycles.sh)', function () {
  this.timeout(60_000);
  it('fails on a cycle and names its modules', () => {
    const r = spawnSync('bash', [join(ROOT, 'scripts/check-cycles.sh'), 'test/fixtures/cycles'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).to.not.equal(0);
    expect(r.stdout).to.match(/error no-circular: test\/fixtures\/cycles\/a\.js →\s+test\/fixtures\/cycles\/b\.js →\s+test\/fixtures\/cycles\/a\.js/);
    expect(r.stdout).to.not.include('d.js');
  });
});
