/**
 * A dynamic inventory script that is stopped (timeout or abort) leaves nothing running: its whole
 * process group is killed, children it started included. States are waited for explicitly (the
 * child's pid file), never raced against a timer.
 */
import { expect } from 'chai';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { InventoryData } from '../../src/inventory/model.js';
import { parseScript } from '../../src/inventory/script-source.js';
import { alive } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000; // a safety net only: the state normally comes within milliseconds
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`never reached: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function failure(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected the inventory script to fail');
}

describe('inventory script: stopping it kills everything it started', function () {
  this.timeout(40_000);
  const dir = tempDir('ww-invscript-');
  const pidFile = join(dir, 'child.pid');
  const script = join(dir, 'inventory.sh');
  // A child that also holds our stdout, then the script itself blocks: only a group kill ends both.
  writeFileSync(script, `#!/bin/sh\nsleep 1000 &\necho $! > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}\nwait\n`);
  chmodSync(script, 0o755);

  it('aborted (as on SIGINT): the script and its child are gone when parseScript returns', async () => {
    const stop = new AbortController();
    const running = failure(parseScript(new InventoryData(), script, { signal: stop.signal }));
    await until('the script started its child', () => existsSync(pidFile));
    const child = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(child)).to.equal(true);
    stop.abort('interrupted by SIGINT');
    const e = await running;
    expect(e.message).to.equal(`problem running ${script} --list (interrupted by SIGINT)`);
    // SIGKILL is delivered at once but a process takes a moment to finish dying: wait for that state
    // (a child left running, as before the group kill, never gets there).
    await until(`child ${child} of the inventory script gone`, () => !alive(child));
  });

  it('timed out: a clear error, and the call returns although a child held its output open', async () => {
    const blocking = join(dir, 'blocking.sh');
    writeFileSync(blocking, '#!/bin/sh\nsleep 1000 &\nwait\n');
    chmodSync(blocking, 0o755);
    const e = await failure(parseScript(new InventoryData(), blocking, { timeoutMs: 200 }));
    expect(e.message).to.equal(`problem running ${blocking} --list (timed out after 0.2s)`);
  });
});
