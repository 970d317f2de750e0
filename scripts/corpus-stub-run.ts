/**
 * corpus-check's second look at a file refused for modules wheelwright lacks: the wheelwright CLI
 * with a stand-in for each module named in WW_CORPUS_STUB_MODULES (comma-separated; any arguments
 * accepted), so the load shows what else, if anything, stands behind those modules. A check tool
 * only: the stand-ins do nothing and are never registered by wheelwright itself.
 */
import { getModule, registerModule } from '../src/modules/registry.js';
import '../src/modules/index.js';
import { main } from '../src/cli/main.js';

for (const n of (process.env.WW_CORPUS_STUB_MODULES ?? '').split(',').filter(Boolean)) {
  if (getModule(n)) continue;
  const parts = n.split('.');
  const name = parts.pop()!;
  registerModule({
    name: parts.length ? name : n,
    ...(parts.length ? { collection: parts.join('.') } : {}),
    argSpec: {},
    anyArgs: true,
    run: async () => ({ changed: false, msg: 'corpus-check stand-in' }),
  } as Parameters<typeof registerModule>[0]);
}
process.exitCode = await main(process.argv.slice(2));
