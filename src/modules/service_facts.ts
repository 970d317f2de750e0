import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** Services as ansible_facts.services: systemd units when systemd runs, else `service --status-all`. */
const BODY = String.raw`
BAD = ('not-found', 'masked', 'failed')

def systemd_running():
    try:
        return 'systemd' in open('/proc/1/comm').read()
    except IOError:
        return False

def from_systemd(ctl, services):
    rc, out, err = run_cmd([ctl, 'list-units', '--no-pager', '--type', 'service', '--all'])
    if rc == 0:
        for line in [l for l in out.split('\n') if '.service' in l]:
            f = line.split()
            status = 'unknown'
            for b in BAD:
                if b in f:
                    status = b
                    f = f[1:]
                    break
            else:
                status = f[2]
            services[f[0]] = {'name': f[0], 'state': 'running' if f[3] == 'running' else 'stopped', 'status': status, 'source': 'systemd'}
    rc, out, err = run_cmd([ctl, 'list-unit-files', '--no-pager', '--type', 'service', '--all'])
    if rc == 0:
        for line in [l for l in out.split('\n') if '.service' in l]:
            name, status = line.split()[:2]
            if name not in services:
                rc2, o2, e2 = run_cmd([ctl, 'show', name, '--property=ActiveState'])
                state = o2.replace('ActiveState=', '').rstrip() if rc2 == 0 and o2 != '' else 'unknown'
                services[name] = {'name': name, 'state': state, 'status': status, 'source': 'systemd'}
            elif services[name]['status'] not in BAD:
                services[name]['status'] = status

def from_sysv(services):
    svc = which('service')
    if not svc or which('chkconfig') or which('rc-status'):
        return
    rc, out, err = run_cmd([svc, '--status-all'])
    if rc == 4 and not os.path.exists('/etc/init.d'):
        return
    for m in re.finditer(r'^\s*\[ (?P<state>\+|\-) \]\s+(?P<name>.+)$', out, re.M):
        services[m.group('name')] = {'name': m.group('name'), 'state': 'running' if m.group('state') == '+' else 'stopped', 'source': 'sysv'}

def main():
    services = {}
    from_sysv(services)
    ctl = which('systemctl')
    if ctl and systemd_running():
        from_systemd(ctl, services)
    if not services:
        return {'changed': False, 'msg': 'Failed to find any services. This can be due to privileges or some other configuration issue.', 'skipped': True}
    return {'changed': False, 'ansible_facts': {'services': services}}
`;

export const serviceFactsModule: ModuleDef = {
  name: 'service_facts',
  description: 'Services and their states as the fact `services` (systemd units, or SysV scripts via service --status-all).',
  checkMode: 'full',
  argSpec: {},
  returns: { 'ansible_facts.services': 'name -> {name, state, status, source}' },
  run: (args, ctx) => runPython(ctx, 'service_facts', BODY, args, { check: false }),
};
