import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UserError } from '../errors.js';

/** Ansible's search order for copy/template `src`: role dir, then the playbook's dir. */
export function findFile(kind: 'files' | 'templates', name: string, rolePath: string | undefined, playbookDir: string): string {
  if (isAbsolute(name)) {
    if (existsSync(name)) return name;
    throw new UserError(`${kind === 'files' ? 'file' : 'template'} not found: ${name}`);
  }
  const candidates = [
    ...(rolePath ? [join(rolePath, kind, name), join(rolePath, name)] : []),
    join(playbookDir, kind, name),
    join(playbookDir, name),
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new UserError(`could not find ${kind === 'files' ? 'file' : 'template'} '${name}' (looked in: ${candidates.join(', ')})`);
}
