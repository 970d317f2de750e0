import { expect } from 'chai';
import { liveView } from '../../src/output/live.js';
import { terminalSink } from '../../src/output/terminal.js';

/** A fake terminal stream: records what log-update writes. */
function fakeTty() {
  let out = '';
  const stream = { isTTY: true, columns: 100, rows: 30, write: (s: string) => ((out += s), true), on: () => stream, once: () => stream, off: () => stream };
  return { stream: stream as unknown as NodeJS.WriteStream, raw: () => out };
}

describe('live view (a consumer of events)', () => {
  it('shows each running host with its task, elapsed time and phase, the task count, and clears at the end', () => {
    const tty = fakeTty();
    let t = 1_000_000;
    const live = liveView({ stream: tty.stream, inner: (write) => terminalSink({ verbosity: 0, color: false, write }), color: false, now: () => t, tickMs: 3_600_000 });
    live.sink({ type: 'play_start', play: 'p', hosts: ['web1', 'web2', 'web3'] });
    live.sink({ type: 'task_start', play: 'p', task: 'install', role: 'venv', handler: false });
    for (const h of ['web1', 'web2', 'web3']) live.sink({ type: 'host_task_start', play: 'p', task: 'install', role: 'venv', host: h, handler: false });
    t += 12_000;
    live.sink({ type: 'host_progress', host: 'web2', task: 'install', msg: 'building 12/40 wheels' });
    live.sink({ type: 'host_result', play: 'p', task: 'install', role: 'venv', host: 'web1', status: 'changed', durationMs: 12_000, result: { changed: true }, handler: false });
    const frame = tty.raw().slice(tty.raw().lastIndexOf('changed: [web1]'));
    expect(frame).to.include('  web2  venv : install  12s  building 12/40 wheels');
    expect(frame).to.include('  web3  venv : install  12s');
    expect(frame).to.include('[venv : install] 1/3 hosts done, 2 running');
    expect(frame).to.not.include('  web1  ');
    live.stop();
    // stop() erases the live lines (in one synchronized update) and writes nothing else
    const tail = tty.raw().slice(tty.raw().lastIndexOf('2 running\n') + '2 running\n'.length);
    expect(tail).to.match(/\x1b\[2K/);
    expect(tail.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')).to.equal('');
  });
});
