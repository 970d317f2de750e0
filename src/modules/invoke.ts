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
    requiredTogether: mod.requiredTogether,
    requiredIf: mod.requiredIf,
  });
  if (problems.length) return { changed: false, failed: true, msg: problems.map((p) => p.message).join('; ') };
  const secrets = Object.entries(mod.argSpec)
    .filter(([k, e]) => e.no_log && typeof args[k] === 'string' && (args[k] as string).length > 0)
    .map(([k]) => args[k] as string);
  const selinux = SELINUX_KEYS.filter((k) => k in mod.argSpec && args[k] != null);
  if (selinux.length && (await selinuxEnabled(ctx))) {
    return { changed: false, failed: true, msg: `${selinux.join(', ')}: SELinux is enabled on ${ctx.host} and wheelwright does not set SELinux contexts` };
  }
  const result = await mod.run(args, ctx);
  return secrets.length ? (maskValues(result, secrets) as ModuleResult) : result;
}

const SELINUX_KEYS = ['seuser', 'serole', 'setype', 'selevel'] as const;

const selinuxByConn = new WeakMap<object, Promise<boolean>>();

/** Whether SELinux is enabled where the task runs (its selinuxfs mounted), asked once per connection. */
function selinuxEnabled(ctx: ModuleContext): Promise<boolean> {
  let p = selinuxByConn.get(ctx.conn);
  if (!p) {
    p = ctx.conn.exec('test -f /sys/fs/selinux/enforce').then((r) => r.code === 0);
    selinuxByConn.set(ctx.conn, p);
  }
  return p;
}

export const MASK = '********';

/** Replace every occurrence of a secret argument's value in a result (Ansible's no_log on options). */
export function maskValues(v: unknown, secrets: readonly string[]): unknown {
  if (typeof v === 'string') return secrets.reduce((s, x) => s.split(x).join(MASK), v);
  if (Array.isArray(v)) return v.map((x) => maskValues(x, secrets));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskValues(x, secrets)]));
  return v;
}
