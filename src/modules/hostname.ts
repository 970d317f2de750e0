import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/**
 * Ansible's hostname strategies on Linux: systemd (hostnamectl) when systemd runs, else by
 * distribution: Debian/Ubuntu write /etc/hostname only, RedHat /etc/sysconfig/network, SLES
 * /etc/HOSTNAME, Alpine /etc/hostname and `hostname -F`, others the generic `hostname` command.
 */
const BODY = String.raw`
import socket

def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except IOError:
        return ''

class File(object):
    FILE = '/etc/hostname'
    def current(self):
        return self.permanent()
    def set_current(self, name):
        pass
    def permanent(self):
        return read(self.FILE) if os.path.isfile(self.FILE) else ''
    def set_permanent(self, name):
        with open(self.FILE, 'w+') as f:
            f.write('%s\n' % name)

class Sles(File):
    FILE = '/etc/HOSTNAME'

class Alpine(File):
    def current(self):
        return run_cmd([which('hostname') or 'hostname'], check_rc=True)[1].strip()
    def set_current(self, name):
        run_cmd([which('hostname') or 'hostname', '-F', self.FILE], check_rc=True)

class Generic(object):
    def current(self):
        return run_cmd([which('hostname') or 'hostname'], check_rc=True)[1].strip()
    def set_current(self, name):
        run_cmd([which('hostname') or 'hostname', name], check_rc=True)
    def permanent(self):
        return 'UNKNOWN'
    def set_permanent(self, name):
        pass

class RedHat(Generic):
    NET = '/etc/sysconfig/network'
    def permanent(self):
        for line in read(self.NET).splitlines():
            if line.strip().startswith('HOSTNAME'):
                return line.split('=', 1)[1].strip()
        return ''
    def set_permanent(self, name):
        lines, found = [], False
        for line in read(self.NET).splitlines():
            if line.strip().startswith('HOSTNAME'):
                lines.append('HOSTNAME=%s' % name)
                found = True
            else:
                lines.append(line)
        if not found:
            lines.append('HOSTNAME=%s' % name)
        atomic_write(self.NET, ('\n'.join(lines) + '\n').encode())

class Systemd(object):
    def ctl(self, *args):
        return run_cmd([which('hostnamectl') or 'hostnamectl'] + list(args), check_rc=True)[1].strip()
    def current(self):
        return self.ctl('--transient', 'status')
    def set_current(self, name):
        if len(name) > 64:
            fail('name cannot be longer than 64 characters on systemd servers, try a shorter name')
        self.ctl('--transient', 'set-hostname', name)
    def permanent(self):
        return self.ctl('--static', 'status')
    def set_permanent(self, name):
        if len(name) > 64:
            fail('name cannot be longer than 64 characters on systemd servers, try a shorter name')
        self.ctl('--pretty', '--static', 'set-hostname', name)

STRATS = {'systemd': Systemd, 'debian': File, 'alpine': Alpine, 'redhat': RedHat, 'sles': Sles, 'generic': Generic}

def distro():
    d = {}
    for line in read('/etc/os-release').splitlines():
        if '=' in line:
            k, v = line.split('=', 1)
            d[k] = v.strip('"')
    return d.get('ID', ''), d.get('ID_LIKE', '')

def pick():
    use = ARGS.get('use')
    if use:
        if use not in STRATS:
            fail('hostname strategy %s is not supported by wheelwright' % use)
        return STRATS[use]()
    if os.path.isdir('/run/systemd/system'):
        return Systemd()
    i, like = distro()
    words = (i + ' ' + like).split()
    if 'debian' in words or 'ubuntu' in words:
        return File()
    if 'alpine' in words:
        return Alpine()
    if 'rhel' in words or 'fedora' in words or 'centos' in words:
        return RedHat()
    if 'suse' in words or 'sles' in words:
        return Sles()
    return Generic()

def main():
    name = ARGS['name']
    s = pick()
    cur, perm = s.current(), s.permanent()
    changed = False
    if cur != name:
        if not CHECK:
            s.set_current(name)
        changed = True
    if s.permanent() != name if not CHECK else perm != name:
        if not CHECK:
            s.set_permanent(name)
        changed = True
    before = cur if name != cur else perm
    fq = socket.getfqdn()
    res = {'changed': changed, 'name': name, 'ansible_facts': {'ansible_hostname': name.split('.')[0], 'ansible_nodename': name, 'ansible_fqdn': fq, 'ansible_domain': '.'.join(fq.split('.')[1:])}}
    if changed:
        res['diff'] = {'after': 'hostname = ' + name + '\n', 'before': 'hostname = ' + before + '\n'}
    return res
`;

export const hostnameModule: ModuleDef = {
  name: 'hostname',
  description: "Set the host's name, with the strategy Ansible uses for its init system and distribution.",
  checkMode: 'full',
  diffMode: true,
  argSpec: {
    name: { type: 'str', required: true, description: 'the host name' },
    use: { type: 'str', choices: ['alpine', 'debian', 'generic', 'redhat', 'sles', 'systemd'], description: 'the strategy (default: systemd when it runs, else by distribution)' },
  },
  returns: { name: 'the name', 'ansible_facts.ansible_hostname': 'short name', 'ansible_facts.ansible_nodename': 'the name', 'ansible_facts.ansible_fqdn': 'fqdn', 'ansible_facts.ansible_domain': 'domain' },
  run: (args, ctx) => runPython(ctx, 'hostname', BODY, args),
};
