/** `node dist/schema/write.js [DIR]`: the build writes the generated schemas into schema/ (shipped in the package). */
import { resolve } from 'node:path';
import { PROJECT_ROOT } from '../cli/project-root.js';
import { writeSchemas } from './index.js';

await writeSchemas(resolve(PROJECT_ROOT, 'schema'));
