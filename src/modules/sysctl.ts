import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** ansible.posix.sysctl on Linux: the sysctl file (atomic) and the live value, decided in one round trip. */
const BODY = String.raw`
TRUE = ('y', 'yes', 'on', '1', 'true', 't')
FALSE = ('n', 'no', 'off', '0', 'false', 'f')
C = {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C'}

def parse_value(v):
    if v is None:
        return ''
    if isinstance(v, bool):
        return '1' if v else '0'
    v = str(v)
    if v.lower() in TRUE:
        return '1'
    if v.lower() in FALSE:
        return '0'
    return v.strip()

def same(a, b):
    if a is None or b is None:
        return False
    return a.split() == b.split()

def stderr_failed(err):
    return re.search(r'^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$', err, re.MULTILINE) is not None

def main():
    a = ARGS
    name = (a.get('name') or '').strip()
    if name == '':
        fail('name cannot be blank')
    if a['state'] == 'present' and (a.get('value') is None):
        fail('value cannot be None')
    if a['state'] == 'present' and a.get('value') == '':
        fail('value cannot be blank')
    value = parse_value(a.get('value'))
    cmd = which('sysctl')
    if not cmd:
        fail('Failed to find required executable "sysctl"')
    rc, out, err = run_cmd([cmd, '-e', '-n', name], env=C)
    proc = out if rc == 0 else None
    path = a['sysctl_file']
    lines, values = [], {}
    if os.path.isfile(path):
        with open(path) as f:
            for line in f.readlines():
                line = line.strip()
                lines.append(line)
                if not line or line.startswith(('#', ';')) or '=' not in line:
                    continue
                k, v = line.split('=', 1)
                values[k.strip()] = v.strip()
    current = values.get(name)
    fixed, seen = [], []
    for line in lines:
        if not line.strip() or line.strip().startswith(('#', ';')) or '=' not in line:
            fixed.append(line)
            continue
        k, v = line.strip().split('=', 1)
        k, v = k.strip(), v.strip()
        if k in seen:
            continue
        seen.append(k)
        if k == name:
            if a['state'] == 'present':
                fixed.append('%s=%s\n' % (k, value))
        else:
            fixed.append('%s=%s\n' % (k, v))
    if name not in seen and a['state'] == 'present':
        fixed.append('%s=%s\n' % (name, value))
    changed = write = set_proc = False
    if current is None and a['state'] == 'present':
        changed = write = True
    elif current is None and a['state'] == 'absent':
        pass
    elif current and a['state'] == 'absent':
        changed = write = True
    elif current != value:
        changed = write = True
    elif a['reload']:
        if proc is None or not same(proc, value):
            changed = True
    if a['sysctl_set'] and a['state'] == 'present':
        if proc is None:
            changed = True
        elif not same(proc, value):
            changed = set_proc = True
    if not CHECK:
        if set_proc:
            # Ansible quotes the value inside a command string that is split again: sysctl sees it bare
            args = [cmd] + (['-e'] if a['ignoreerrors'] else []) + ['-w', '%s=%s' % (name, value)]
            rc, out, err = run_cmd(args, env=C)
            if rc != 0 or stderr_failed(err):
                fail('setting %s failed: %s' % (name, out + err))
        if write:
            atomic_write(path, ''.join(l.strip() + '\n' for l in fixed).encode())
        if changed and a['reload']:
            args = [cmd] + (['-e'] if a['ignoreerrors'] else []) + ['-p', path]
            rc, out, err = run_cmd(args, env=C)
            if rc != 0 or stderr_failed(err):
                fail('Failed to reload sysctl: %s' % (out + err))
    return {'changed': changed}
`;

export const sysctlModule: ModuleDef = {
  name: 'sysctl',
  collection: 'ansible.posix',
  description: 'Set a kernel parameter in a sysctl file (atomic) and, with reload/sysctl_set, live.',
  checkMode: 'full',
  argSpec: {
    name: { type: 'str', required: true, aliases: ['key'], description: 'the dotted key, e.g. net.ipv4.ip_forward' },
    value: { type: 'str', aliases: ['val'], description: 'the value (booleans become 1/0); required with state=present' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], description: 'whether the key is in the file' },
    reload: { type: 'bool', default: true, description: 'run sysctl -p FILE when something changed' },
    sysctl_set: { type: 'bool', default: false, description: 'also set the live value with sysctl -w when it differs' },
    ignoreerrors: { type: 'bool', default: false, description: 'ignore unknown keys (sysctl -e)' },
    sysctl_file: { type: 'path', default: '/etc/sysctl.conf', description: 'the file to edit' },
  },
  requiredIf: [['state', 'present', ['value']]],
  returns: { changed: 'whether the file or the live value changed' },
  run: (args, ctx) => runPython(ctx, 'sysctl', BODY, args),
};
