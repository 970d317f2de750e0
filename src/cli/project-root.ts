import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout or installed package this code runs from (src/cli or dist/cli, two levels down). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
