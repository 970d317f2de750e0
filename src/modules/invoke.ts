import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';
import { checkArgs } from './argspec.js';
import { getModule } from './registry.js';

/** Validate (and coerce) rendered arguments, then run the module. Used by the runner and by modules that call modules. */
export async function invokeModule(def: ModuleDef | string, rendered: Record<string, unknown>, ctx: ModuleContext): Promise<ModuleResult> {
  const mod = typeof def === 'string' ? getModule(def) : def;
  if (!mod) throw new Error(`unknown module '${String(def)}'`);
  const { args, problems } = checkArgs(mod.name, mod.argSpec, rendered, {
    loadTime: false,
    freeForm: mod.freeForm,
    anyArgs: mod.anyArgs,
    requiredOneOf: mod.requiredOneOf,
    mutuallyExclusive: mod.mutuallyExclusive,
  });
  if (problems.length) return { changed: false, failed: true, msg: problems.map((p) => p.message).join('; ') };
  return mod.run(args, ctx);
}
