// Bundles the CLI (src/cli/main.ts and everything it imports, npm dependencies included) into
// dist/bin/ with esbuild: one file to compile instead of ~170 modules to resolve and load, which
// halves the CLI's start-up. Subcommands loaded with import() stay in their own chunks, loaded only
// when used. bin/wheelwright.js runs this bundle when it is at least as new as the tsc output
// (dist/cli/main.js), else the tsc output. The API (dist/index.js) is not bundled.
//
// dist/bin/ sits two levels below the package root like dist/cli/, so paths computed from
// import.meta.url (PROJECT_ROOT, the remote Python scripts under src/) resolve the same.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bin');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, 'src', 'cli', 'main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ssh2's optional native add-ons: absent unless built; ssh2 falls back to node:crypto
  external: ['cpu-features', '*.node'],
  // CommonJS dependencies (ssh2, handlebars) bundled into ES modules need these names
  banner: {
    js: [
      "import { createRequire as __wwCreateRequire } from 'node:module';",
      "import { fileURLToPath as __wwFileURLToPath } from 'node:url';",
      "import { dirname as __wwDirname } from 'node:path';",
      'const require = __wwCreateRequire(import.meta.url);',
      'const __filename = __wwFileURLToPath(import.meta.url);',
      'const __dirname = __wwDirname(__filename);',
    ].join(' '),
  },
  logLevel: 'warning',
  legalComments: 'none',
});
