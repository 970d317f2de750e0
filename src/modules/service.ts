import type { ModuleDef, ModuleResult } from './types.js';
import { execFailure, parseMarked, run, tail } from './lib/exec.js';
import { composeServiceScript } from './lib/service-script.js';

export interface ServiceArgs {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  daemon_reload: boolean;
}

/** service (alias systemd): started/stopped/restarted/reloaded and enabled, in one round trip. */
export const serviceModule: ModuleDef<ServiceArgs> = {
  name: 'service',
  description: "Start, stop, restart or reload services and enable them at boot (systemd, sysvinit, openrc).",
  notes: "Arguments: `name` (aliases `service`, `unit`), `state` (`started`, `stopped`, `restarted`,\n`reloaded`), `enabled` (bool), `daemon_reload` (bool). At least one of state/enabled/daemon_reload.\n\nWith systemd (`ansible_service_mgr == systemd`, or `/run/systemd/system` when facts were not\ngathered): `systemctl show` + `is-enabled`, then start/stop/restart/reload/enable/disable as needed,\nall in one script. Otherwise `service NAME \u2026` (or `/etc/init.d/NAME`, `rc-service`) and\n`update-rc.d`/`chkconfig`/`rc-update` for `enabled`. `restarted` is always changed; `reloaded` starts a\nstopped service. Returns `name, state, enabled, actions, status`.",
  aliases: ['systemd', 'systemd_service'],
  argSpec: {
    name: { description: "service name", type: 'str', aliases: ['service', 'unit'] },
    state: { description: "started, stopped, restarted, reloaded", type: 'str', choices: ['started', 'stopped', 'restarted', 'reloaded'] },
    enabled: { description: "start at boot", type: 'bool' },
    daemon_reload: { description: "systemd: reload unit files first", type: 'bool', default: false, aliases: ['daemon-reload'] },
  },
  async run(args, ctx) {
    if (!args.name && !args.daemon_reload) return { changed: false, failed: true, msg: 'name is required' };
    if (args.name && args.state === undefined && args.enabled === undefined && !args.daemon_reload) {
      return { changed: false, failed: true, msg: 'one of state, enabled or daemon_reload is required' };
    }
    const fact = ctx.facts.ansible_service_mgr ?? ctx.facts.service_mgr;
    const r = await run(
      ctx,
      composeServiceScript({
        name: args.name ?? '',
        state: args.name ? args.state : undefined,
        enabled: args.name ? args.enabled : undefined,
        daemonReload: args.daemon_reload,
        check: ctx.check,
        manager: typeof fact === 'string' ? fact : '',
      }),
    );
    if (r.code !== 0) return execFailure(`service ${args.name}`, r);
    const p = parseMarked(r.stdout);
    const kv = p.kv;
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
    if (args.state) result.state = args.state;
    if (args.enabled !== undefined) result.enabled = args.enabled;
    const actions = p.all.action ?? [];
    if (actions.length) result.actions = actions;
    result.status = { ActiveState: kv.active, LoadState: kv.load, UnitFileState: kv.enabled_state, manager: kv.manager };
    return result;
  },
};
