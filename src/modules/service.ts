import type { ModuleDef, ModuleResult } from './types.js';
import { execFailure, parseMarked, run, tail } from './lib/exec.js';
import { composeServiceScript } from './lib/service-script.js';
import { invokeModule } from './invoke.js';
import { systemdServiceModule } from './systemd_service.js';

export interface ServiceArgs {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  daemon_reload: boolean;
  use: string;
  sleep?: number;
}

/** service (alias systemd): started/stopped/restarted/reloaded and enabled, in one round trip. */
export const serviceModule: ModuleDef<ServiceArgs> = {
  name: 'service',
  description: "Start, stop, restart or reload services and enable them at boot (systemd, sysvinit, openrc).",
  notes: "Arguments: `name` (aliases `service`, `unit`), `state` (`started`, `stopped`, `restarted`,\n`reloaded`), `enabled` (bool), `daemon_reload` (bool). At least one of state/enabled/daemon_reload.\n\nWhen `ansible_service_mgr` is systemd (or `use: systemd`), the task runs the systemd_service module, as\nAnsible's service action does. Without facts, the host's PID 1 decides (as Ansible's `ansible_service_mgr`: `systemd`,\nor systemd's run directories when PID 1 is an init or a shell): on systemd a first round trip detects it and the\nsystemd_service module follows (Ansible also runs `setup` first). Otherwise `service NAME \u2026` (or `/etc/init.d/NAME`, `rc-service`) and\n`update-rc.d`/`chkconfig`/`rc-update` for `enabled`. `restarted` is always changed; `reloaded` starts a\nstopped service. Returns `name, state` (`started` for started/restarted/reloaded, else `stopped`, as Ansible),\n`enabled, actions, status`. Tested against Ansible on SysV init scripts (service(8), update-rc.d) in the lab,\nand on the lab's systemd host (test/integration/systemd-oracle.test.ts).",
  argSpec: {
    name: { description: "service name", type: 'str', aliases: ['service', 'unit'] },
    state: { description: "started, stopped, restarted, reloaded", type: 'str', choices: ['started', 'stopped', 'restarted', 'reloaded'] },
    enabled: { description: "start at boot", type: 'bool' },
    daemon_reload: { description: "systemd: reload unit files first", type: 'bool', default: false, aliases: ['daemon-reload'] },
    use: { description: "the service manager module: auto (ansible_service_mgr), systemd, or anything else for service(8)/init scripts", type: 'str', default: 'auto' },
    pattern: { description: "accepted (Ansible: a ps pattern when the init script has no status)", type: 'str' },
    sleep: { description: "seconds between the stop and the start of a restart (init scripts)", type: 'int' },
    runlevel: { description: "accepted (Ansible: the runlevel for OpenRC)", type: 'str' },
    arguments: { description: "accepted (Ansible: extra arguments for the service command)", type: 'str', default: '', aliases: ['args'] },
  },
  async run(args, ctx) {
    if (!args.name && !args.daemon_reload) return { changed: false, failed: true, msg: 'name is required' };
    if (args.name && args.state === undefined && args.enabled === undefined && !args.daemon_reload) {
      return { changed: false, failed: true, msg: 'one of state, enabled or daemon_reload is required' };
    }
    const fact = args.use !== 'auto' ? args.use : (ctx.facts.ansible_service_mgr ?? ctx.facts.service_mgr);
    // as Ansible's service action: on systemd the systemd module does the work (pattern, sleep, runlevel, arguments dropped)
    const viaSystemd = () => {
      const fwd: Record<string, unknown> = { name: args.name, daemon_reload: args.daemon_reload };
      if (args.state !== undefined) fwd.state = args.state;
      if (args.enabled !== undefined) fwd.enabled = args.enabled;
      return invokeModule(systemdServiceModule, fwd, ctx);
    };
    if (fact === 'systemd') return viaSystemd();
    const r = await run(
      ctx,
      composeServiceScript({
        name: args.name ?? '',
        state: args.name ? args.state : undefined,
        enabled: args.name ? args.enabled : undefined,
        daemonReload: args.daemon_reload,
        check: ctx.check,
        manager: typeof fact === 'string' ? fact : '',
        sleep: args.sleep,
      }),
    );
    if (r.code !== 0) return execFailure(`service ${args.name}`, r);
    const p = parseMarked(r.stdout);
    const kv = p.kv;
    // no facts: the script found systemd (as Ansible's setup would) and did nothing; Ansible then runs its systemd module
    if (kv.manager === 'systemd' && !('changed' in kv) && !kv.error) return viaSystemd();
    if (kv.error) {
      const msg =
        kv.error === 'notfound' ? `Could not find the requested service ${args.name}: host`
        : kv.error === 'masked' ? `Unit ${args.name} is masked and cannot be enabled`
        : kv.error === 'nomanager' ? 'no service manager found (systemctl, service, init scripts)'
        : kv.error === 'noenable' ? 'cannot change whether the service is enabled: no update-rc.d, chkconfig or rc-update'
        : `Unable to ${kv.error.replace('_', '-')} service ${args.name}`;
      const t = tail(r.stderr);
      return { changed: false, failed: true, name: args.name, msg: t ? `${msg}: ${t}` : msg };
    }
    if (!('changed' in kv)) return execFailure(`service ${args.name}`, r);
    const result: ModuleResult = { changed: kv.changed === '1', name: args.name };
    // as Ansible's service module: what was run, not a fresh status (a bounced service may not report it yet)
    if (args.state) result.state = args.state === 'stopped' ? 'stopped' : 'started';
    if (args.enabled !== undefined) result.enabled = args.enabled;
    const actions = p.all.action ?? [];
    if (actions.length) result.actions = actions;
    result.status = { ActiveState: kv.active, LoadState: kv.load, UnitFileState: kv.enabled_state, manager: kv.manager };
    return result;
  },
};
