/**
 * The live view on a terminal: finished results scroll as usual (the terminal sink's lines), and
 * below them, redrawn in place (log-update), one line per running host with its task, elapsed time
 * and phase, and the current task's progress ("12/64 hosts done"). Only a consumer of events:
 * without a terminal, the plain lines are all there is.
 */
import { createLogUpdate } from 'log-update';
import type { EventSink, RunEvent } from '../runner/events.js';

export interface LiveOptions {
  stream: NodeJS.WriteStream;
  /** the terminal sink; its text goes above the live lines */
  inner: (write: (text: string) => void) => EventSink;
  color: boolean;
  /** redraw period for elapsed times */
  tickMs?: number;
  now?: () => number;
}

interface Running {
  task: string;
  since: number;
  phase?: string;
}

export interface LiveView {
  sink: EventSink;
  /** remove the live lines and stop redrawing (the run is over) */
  stop(): void;
}

const secs = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(0)}s` : `${Math.floor(ms / 60_000)}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`);

export function liveView(o: LiveOptions): LiveView {
  const now = o.now ?? Date.now;
  const lu = createLogUpdate(o.stream, { showCursor: false });
  const running = new Map<string, Running>();
  let hosts: string[] = [];
  let task: { label: string; done: Set<string> } | undefined;
  let shown = false;
  const dim = (s: string) => (o.color ? `\x1b[2m${s}\x1b[22m` : s);

  const frame = (): string => {
    if (!running.size) return '';
    const rows = Math.max(3, (o.stream.rows ?? 24) - 4);
    const width = o.stream.columns ?? 80;
    const t = now();
    const hostWidth = Math.min(30, Math.max(...[...running.keys()].map((h) => h.length)));
    const list = [...running.entries()];
    const lines = list.slice(0, rows).map(([h, r]) => {
      const line = `  ${h.padEnd(hostWidth)}  ${r.task}  ${secs(t - r.since)}${r.phase ? `  ${r.phase}` : ''}`;
      return line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
    });
    if (list.length > rows) lines.push(`  … and ${list.length - rows} more running`);
    if (task && hosts.length) lines.push(dim(`  [${task.label}] ${task.done.size}/${hosts.length} hosts done, ${running.size} running`));
    return lines.join('\n');
  };
  const redraw = () => {
    const f = frame();
    if (f) {
      lu(f);
      shown = true;
    } else if (shown) {
      lu.clear();
      shown = false;
    }
  };
  // finished lines go above the live ones
  const write = (text: string) => {
    if (shown) lu.clear();
    o.stream.write(text);
    shown = false;
    redraw();
  };
  const inner = o.inner(write);
  const timer = setInterval(redraw, o.tickMs ?? 1000);
  timer.unref();
  // events without output of their own (a host starts a task, a phase) redraw at most 10 times a
  // second: a large fleet sends many, the terminal needs few
  let pending: NodeJS.Timeout | undefined;
  const soon = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      redraw();
    }, 100);
    pending.unref();
  };

  const sink = (e: RunEvent) => {
    switch (e.type) {
      case 'play_start':
        hosts = e.hosts;
        task = undefined;
        break;
      case 'batch_start':
        hosts = e.hosts;
        break;
      case 'task_start':
        task = { label: e.role ? `${e.role} : ${e.task}` : e.task, done: new Set() };
        break;
      case 'host_task_start':
        running.set(e.host, { task: e.role ? `${e.role} : ${e.task}` : e.task, since: now() });
        break;
      case 'host_progress': {
        const r = running.get(e.host);
        if (r) r.phase = e.msg;
        break;
      }
      case 'host_result':
        if (e.item === undefined || e.aggregate) {
          running.delete(e.host);
          const label = e.role ? `${e.role} : ${e.task}` : e.task;
          if (task?.label === label) task.done.add(e.host);
        }
        break;
      case 'recap':
        running.clear();
        break;
      default:
        break;
    }
    inner(e); // writes (and redraws) when it prints something
    soon();
  };
  return {
    sink,
    stop() {
      clearInterval(timer);
      if (pending) clearTimeout(pending);
      running.clear();
      if (shown) lu.clear();
      shown = false;
      lu.done();
    },
  };
}
