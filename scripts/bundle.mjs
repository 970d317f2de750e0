// Bundles the CLI (src/cli/main.ts and everything it imports, npm dependencies included) into ONE
// CommonJS file, dist/bin/main.cjs, with esbuild: one file to compile instead of ~170 modules to
// resolve and load. bin/wheelwright.js runs it through vm.Script with a V8 code cache
// (bin/code-cache.js), keyed by the sha256 written beside it (main.cjs.key), when it is at least as
// new as the tsc output (dist/cli/main.js), else the tsc output. Modules loaded with import() are
// initialised only when first used (esbuild's lazy module wrappers). The API (dist/index.js) is
// not bundled.
//
// dist/bin/ sits two levels below the package root like dist/cli/, so paths computed from
// import.meta.url (PROJECT_ROOT, the remote Python scripts under src/) resolve the same: the
// loader passes the bundle's file URL as __wwImportMetaUrl.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bin');
rmSync(outdir, { recursive: true, force: true });
await build({
  // broker: the connection broker a run starts for ControlPersist (src/connection/broker.ts)
  entryPoints: { main: join(root, 'src', 'cli', 'main.ts'), broker: join(root, 'src', 'connection', 'broker-main.ts') },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // ssh2's optional native add-ons: absent unless built; ssh2 falls back to node:crypto
  external: ['cpu-features', '*.node'],
  define: { 'import.meta.url': '__wwImportMetaUrl' },
  // import() becomes require(): vm.Script runs dynamic imports only with an experimental loader
  supported: { 'dynamic-import': false },
  charset: 'ascii',
  logLevel: 'warning',
  legalComments: 'none',
});
const out = join(outdir, 'main.cjs');
// charset ascii escapes every string and identifier; what esbuild leaves is in kept comments. An
// ASCII file is read as a one-byte string (bin/code-cache.js): escape those too.
const text = readFileSync(out, 'utf8');
const ascii = text.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
if (ascii !== text) writeFileSync(out, ascii);
writeFileSync(`${out}.key`, createHash('sha256').update(ascii).digest('hex') + '\n');
// the broker's socket is named after both bundles: a broker never serves a run of another build
const brokerId = createHash('sha256').update(ascii).update('\0').update(readFileSync(join(outdir, 'broker.cjs'))).digest('hex');
writeFileSync(join(outdir, 'broker.key'), brokerId + '\n');
