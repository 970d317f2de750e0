#!/usr/bin/env node
import { statSync } from 'node:fs';

// The bundled CLI (dist/bin/main.cjs, `npm run build`) starts in about half the time of the ~170
// modules tsc writes to dist/, and with its code cache (bin/code-cache.js) in less again; it is used
// when it is at least as new as them (a tsc-only rebuild runs the fresh tsc output instead of an
// old bundle).
const mtime = (rel) => {
  try {
    return statSync(new URL(rel, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
const argv = process.argv.slice(2);
let main;
let bundle;
if (mtime('../dist/bin/main.cjs') >= mtime('../dist/cli/main.js')) {
  const { loadBundle } = await import('./code-cache.js');
  bundle = loadBundle(new URL('../dist/bin/main.cjs', import.meta.url).pathname);
  ({ main } = bundle.exports);
} else {
  ({ main } = await import('../dist/cli/main.js'));
}

// Exit only once stdout and stderr have drained: on a pipe, process.exit() would cut off the
// tail of large output (a JSON-lines consumer would lose events).
const code = await main(argv);
const drained = (stream) => new Promise((resolve) => stream.write('', resolve));
await Promise.all([drained(process.stdout), drained(process.stderr)]);
if (bundle) {
  const { runKind } = await import('./code-cache.js');
  bundle.save(runKind(argv));
}
process.exit(code);
