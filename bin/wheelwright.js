#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// Exit only once stdout and stderr have drained: on a pipe, process.exit() would cut off the
// tail of large output (a JSON-lines consumer would lose events).
const code = await main(process.argv.slice(2));
const drained = (stream) => new Promise((resolve) => stream.write('', resolve));
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit(code);
