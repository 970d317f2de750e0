import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** Ansible's systemd_service, ported: systemctl show / is-enabled, then mask, enable, state, in one round trip. */
const BODY = String.raw`
import glob
WARN = []

def is_running(st):
    return st.get('ActiveState') in ('active', 'activating')

def is_deactivating(st):
    return st.get('ActiveState') in ('deactivating',)

def request_was_ignored(out):
    return '=' not in out and ('ignoring request' in out or 'ignoring command' in out)

def parse_show(lines):
    parsed, multival, k = {}, [], None
    for line in lines:
        if k is None:
            if '=' in line:
                k, v = line.split('=', 1)
                if k.startswith('Exec') and v.lstrip().startswith('{'):
                    if not v.rstrip().endswith('}'):
                        multival.append(v)
                        continue
                parsed[k] = v.strip()
                k = None
        else:
            multival.append(line)
            if line.rstrip().endswith('}'):
                parsed[k] = '\n'.join(multival).strip()
                multival = []
                k = None
    return parsed

def sysv_script(name):
    return name if name.startswith('/') else '/etc/init.d/%s' % name

def sysv_is_enabled(name):
    if not os.path.isdir('/etc/rc0.d/'):
        return bool(glob.glob('/etc/init.d/rc?.d/S??%s' % name))
    return bool(glob.glob('/etc/rc?.d/S??%s' % name))

def is_chroot():
    if os.environ.get('debian_chroot', False):
        return True
    my_root = os.stat('/')
    try:
        proc_root = os.stat('/proc/1/root/.')
        return my_root.st_ino != proc_root.st_ino or my_root.st_dev != proc_root.st_dev
    except Exception:
        fs_root_ino = 2
        st = which('stat')
        if st:
            rc, out, err = run_cmd([st, '-f', '--format=%T', '/'])
            if 'btrfs' in out:
                fs_root_ino = 256
            elif 'xfs' in out:
                fs_root_ino = 128
        return my_root.st_ino != fs_root_ino

def main():
    a = ARGS
    unit = a.get('name')
    if all(a.get(k) is None for k in ('state', 'enabled', 'masked')) and not a['daemon_reload'] and not a['daemon_reexec']:
        fail('one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec')
    for k in ('state', 'enabled', 'masked'):
        if a.get(k) is not None and unit is None:
            fail('missing parameter(s) required by \'%s\': name' % k)
    if unit is not None:
        for g in ('*', '?', '['):
            if g in unit:
                fail("This module does not currently support using glob patterns, found '%s' in service name: %s" % (g, unit))
    sc = which('systemctl')
    if not sc:
        fail('Failed to find required executable "systemctl" in paths: %s' % os.environ.get('PATH', ''))
    if os.getenv('XDG_RUNTIME_DIR') is None:
        os.environ['XDG_RUNTIME_DIR'] = '/run/user/%s' % os.geteuid()
    base = [sc]
    if a['scope'] != 'system':
        base.append('--%s' % a['scope'])
    if a['no_block']:
        base.append('--no-block')
    if a.get('force'):
        base.append('--force')
    def systemctl(*args):
        return run_cmd(base + list(args))
    result = {'name': unit, 'changed': False, 'status': {}}
    if a['daemon_reload'] and not CHECK:
        rc, out, err = systemctl('daemon-reload')
        if rc != 0:
            fail('failure %d during daemon-reload: %s' % (rc, err))
    if a['daemon_reexec'] and not CHECK:
        rc, out, err = systemctl('daemon-reexec')
        if rc != 0:
            fail('failure %d during daemon-reexec: %s' % (rc, err))
    if unit:
        is_initd = os.path.exists(sysv_script(unit))
        is_systemd = False
        rc, out, err = systemctl('show', unit)
        if rc == 0 and not (request_was_ignored(out) or request_was_ignored(err)):
            if out:
                result['status'] = parse_show(out.split('\n'))
                st = result['status']
                is_systemd = 'LoadState' in st and st['LoadState'] != 'not-found'
                is_masked = 'LoadState' in st and st['LoadState'] == 'masked'
                if is_systemd and not is_masked and 'LoadError' in st:
                    fail("Error loading unit file '%s': %s" % (unit, st['LoadError']))
        elif err and rc == 1 and 'Failed to parse bus message' in err:
            result['status'] = parse_show(out.split('\n'))
            ub, sep, suffix = unit.partition('@')
            search = ub + sep
            rc, out, err = systemctl('list-unit-files', search + '*')
            is_systemd = search in out
            rc, out, err = systemctl('is-active', unit)
            result['status']['ActiveState'] = out.rstrip('\n')
        else:
            valid = ['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'masked', 'masked-runtime', 'static',
                     'indirect', 'disabled', 'generated', 'transient']
            rc, out, err = systemctl('is-enabled', unit)
            if out.strip() in valid:
                is_systemd = True
            else:
                rc, out, err = systemctl('list-unit-files', unit)
                if rc == 0:
                    is_systemd = True
                else:
                    run_cmd([sc], check_rc=True)
        found = is_systemd or is_initd
        if is_initd and not is_systemd:
            WARN.append('The service (%s) is actually an init script but the system is managed by systemd' % unit)
        def missing():
            if not found:
                fail('Could not find the requested service %s: %s' % (unit, 'host'), **({'warnings': WARN} if WARN else {}))
        if a.get('masked') is not None:
            rc, out, err = systemctl('is-enabled', unit)
            masked = out.strip() == 'masked'
            if masked != a['masked']:
                result['changed'] = True
                if not CHECK:
                    rc, out, err = systemctl('mask' if a['masked'] else 'unmask', unit)
                    if rc != 0:
                        missing()
        if a.get('enabled') is not None:
            action = 'enable' if a['enabled'] else 'disable'
            missing()
            enabled = False
            rc, out, err = systemctl('is-enabled', unit, '-l')
            if rc == 0:
                enabled = True
                if out.splitlines() == ['indirect'] or out.splitlines() == ['alias']:
                    enabled = False
            elif rc == 1:
                if a['scope'] == 'system' and is_initd and not out.strip().endswith('disabled') and sysv_is_enabled(unit):
                    enabled = True
            result['enabled'] = enabled
            if enabled != a['enabled']:
                result['changed'] = True
                if not CHECK:
                    rc, out, err = systemctl(action, unit)
                    if rc != 0:
                        fail('Unable to %s service %s: %s' % (action, unit, out + err))
                result['enabled'] = not enabled
        if a.get('state') is not None:
            missing()
            result['state'] = a['state']
            if 'ActiveState' in result['status']:
                action = None
                if a['state'] == 'started':
                    if not is_running(result['status']):
                        action = 'start'
                elif a['state'] == 'stopped':
                    if is_running(result['status']) or is_deactivating(result['status']):
                        action = 'stop'
                else:
                    action = 'start' if not is_running(result['status']) else a['state'][:-2]
                    result['state'] = 'started'
                if action:
                    result['changed'] = True
                    if not CHECK:
                        rc, out, err = systemctl(action, unit)
                        if rc != 0:
                            fail('Unable to %s service %s: %s' % (action, unit, err))
            elif is_chroot() or os.environ.get('SYSTEMD_OFFLINE') == '1':
                WARN.append('Target is a chroot or systemd is offline. This can lead to false positives or prevent the init system tools from working.')
            else:
                fail('Service is in unknown state', status=result['status'])
    if WARN:
        result['warnings'] = WARN
    result['_ww_no_path_info'] = True
    return result
`;

export const systemdServiceModule: ModuleDef = {
  name: 'systemd_service',
  aliases: ['systemd'],
  description: 'Control systemd units: start/stop/restart/reload, enable, mask, daemon-reload/-reexec, system/user/global scope.',
  notes:
    "Ansible's module, ported (Python on the host, one round trip): `systemctl show` gives `status` (every property),\n" +
    'then mask/unmask, enable/disable (`is-enabled -l`; an init script enabled in /etc/rc?.d counts, as in Ansible), then\n' +
    '`state`. `restarted`/`reloaded` always act (a stopped unit is started). `daemon_reload`/`daemon_reexec` run first\n' +
    '(not in check mode). Without a running systemd, `systemctl` still enables, disables, masks and unmasks unit files\n' +
    "(offline, as Ansible's module does there), but `state` cannot be known: in a chroot it only warns, otherwise fails\n" +
    "with `Service is in unknown state`. Returns `name, changed, status, enabled, state`.",
  checkMode: 'full',
  argSpec: {
    name: { type: 'str', aliases: ['service', 'unit'], description: 'the unit (give the suffix, e.g. cron.service, offline)' },
    state: { type: 'str', choices: ['reloaded', 'restarted', 'started', 'stopped'], description: 'started/stopped (idempotent), restarted/reloaded (always act)' },
    enabled: { type: 'bool', description: 'start at boot' },
    force: { type: 'bool', description: 'systemctl --force (overrides existing symlinks)' },
    masked: { type: 'bool', description: 'masked: cannot be started at all' },
    daemon_reload: { type: 'bool', default: false, aliases: ['daemon-reload'], description: 'systemctl daemon-reload first' },
    daemon_reexec: { type: 'bool', default: false, aliases: ['daemon-reexec'], description: 'systemctl daemon-reexec first' },
    scope: { type: 'str', default: 'system', choices: ['system', 'user', 'global'], description: "the system manager, the connecting user's (--user) or every user's (--global)" },
    no_block: { type: 'bool', default: false, description: 'do not wait for the job to finish (--no-block)' },
  },
  returns: { name: 'the unit', status: 'systemctl show properties', enabled: 'whether it is enabled now', state: 'started/stopped' },
  run: (args, ctx) => runPython(ctx, 'systemd_service', BODY, args),
};
