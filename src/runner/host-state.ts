import type { Task } from '../playbook/types.js';
import type { HostStats } from './events.js';
import { emptyStats } from './events.js';

/** What the run learns about one host; lives for the whole playbook run. */
export class HostState {
  facts: Record<string, unknown> = {};
  /** register: and set_fact results (same precedence level). */
  registered: Record<string, unknown> = {};
  /** handlers notified and not yet flushed (a topic no handler answers to yet: its text) */
  notified = new Set<Task | string>();
  stats: HostStats = emptyStats();
  failed = false;
  unreachable = false;
  /** set by meta: end_host / end_play for this host */
  ended = false;
  /** the task this host was running when the run was interrupted (SIGINT/SIGTERM) */
  interruptedIn: string | undefined;

  constructor(readonly name: string) {}

  get active(): boolean {
    return !this.failed && !this.unreachable && !this.ended;
  }
}
