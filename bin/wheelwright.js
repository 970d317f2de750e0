#!/usr/bin/env node
import { statSync } from 'node:fs';

// The bundled CLI (dist/bin/, `npm run build`) starts in about half the time of the ~170 modules
// tsc writes to dist/; it is used when it is at least as new as them (a tsc-only rebuild runs the
// fresh tsc output instead of an old bundle).
const mtime = (rel) => {
  try {
    return statSync(new URL(rel, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
const bundled = mtime('../dist/bin/main.js') >= mtime('../dist/cli/main.js');
const { main } = await import(bundled ? '../dist/bin/main.js' : '../dist/cli/main.js');

// Exit only once stdout and stderr have drained: on a pipe, process.exit() would cut off the
// tail of large output (a JSON-lines consumer would lose events).
const code = await main(process.argv.slice(2));
const drained = (stream) => new Promise((resolve) => stream.write('', resolve));
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit(code);
