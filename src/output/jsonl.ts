import type { EventSink, RunEvent } from '../runner/events.js';

/** One JSON object per event per line: for CI jobs and scripts. */
export function jsonLinesSink(write: (text: string) => void): EventSink {
  return (e: RunEvent) => write(JSON.stringify({ ...e, time: new Date().toISOString() }) + '\n');
}
