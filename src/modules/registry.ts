import type { ModuleDef } from './types.js';

const modules = new Map<string, ModuleDef<any>>();

export function registerModule(def: ModuleDef<any>): void {
  for (const name of [def.name, ...(def.aliases ?? [])]) modules.set(name, def);
}

/** Accepts short names and FQCNs (ansible.builtin.copy, ansible.posix.*, community.general.*). */
export function getModule(name: string): ModuleDef<any> | undefined {
  const short = name.replace(/^(ansible\.(builtin|legacy|posix)|community\.general)\./, '');
  return modules.get(short);
}

export function moduleNames(): string[] {
  return [...new Set([...modules.values()].map((m) => m.name))].sort();
}
