import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** Ansible's user module on Linux (useradd/usermod/userdel), its decisions and return values. */
const BODY = String.raw`
import socket
DATE_FORMAT = '%Y-%m-%d'

def pw(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None

def group_gid(g):
    try:
        return grp.getgrgid(int(g)).gr_gid if re.match(r'^\d+$', str(g)) else grp.getgrnam(g).gr_gid
    except (KeyError, ValueError):
        return None

def shadow_entry(name):
    try:
        with open('/etc/shadow') as f:
            for line in f:
                p = line.rstrip('\n').split(':')
                if p[0] == name:
                    return p
    except IOError:
        pass
    return None

def groups_wanted(info, remove_existing=True):
    gs = ARGS.get('groups')
    if gs is None:
        return None
    out = set(x.strip() for x in ','.join(gs).split(',') if x.strip())
    for g in list(out):
        gid = group_gid(g)
        if gid is None:
            fail('Group %s does not exist' % g)
        if info is not None and remove_existing and gid == info.pw_gid:
            out.discard(g)
    return out

def membership(name):
    return [g.gr_name for g in grp.getgrall() if name in g.gr_mem]

def exe(cmd):
    if CHECK:
        return (0, '', '')
    return run_cmd(cmd)

def expires_struct():
    e = ARGS.get('expires')
    return None if e is None else time.gmtime(e)

def create(name):
    a = ARGS
    cmd = [which('useradd') or 'useradd']
    if a.get('uid') is not None:
        cmd += ['-u', str(a['uid'])]
        if a['non_unique']:
            cmd.append('-o')
    if a.get('group') is not None:
        if group_gid(a['group']) is None:
            fail('Group %s does not exist' % a['group'])
        cmd += ['-g', a['group']]
    elif group_gid(name) is not None:
        cmd.append('-N')
    gs = groups_wanted(None)
    if gs:
        cmd += ['-G', ','.join(sorted(gs))]
    if a.get('comment') is not None:
        cmd += ['-c', a['comment']]
    if a.get('home') is not None:
        cmd += ['-d', a['home']]
    if a.get('shell') is not None:
        cmd += ['-s', a['shell']]
    ex = expires_struct()
    if ex is not None:
        cmd += ['-e', '' if a['expires'] < 0 else time.strftime(DATE_FORMAT, ex)]
    if a.get('password') is not None:
        cmd += ['-p', ('!' + a['password']) if a.get('password_lock') else a['password']]
    if a['create_home']:
        cmd.append('-m')
        if a.get('skeleton') is not None:
            cmd += ['-k', a['skeleton']]
        if a.get('umask') is not None:
            cmd += ['-K', 'UMASK=' + a['umask']]
    else:
        cmd.append('-M')
    if a['system']:
        cmd.append('-r')
    return exe(cmd + [name])

def modify(name, info):
    a = ARGS
    cmd = [which('usermod') or 'usermod']
    if a.get('uid') is not None and info.pw_uid != a['uid']:
        cmd += ['-u', str(a['uid'])]
        if a['non_unique']:
            cmd.append('-o')
    if a.get('group') is not None:
        gid = group_gid(a['group'])
        if gid is None:
            fail('Group %s does not exist' % a['group'])
        if info.pw_gid != gid:
            cmd += ['-g', str(gid)]
    if a.get('groups') is not None:
        current = membership(name)
        need = False
        wanted = set()
        if ','.join(a['groups']) == '':
            need = bool(current) and not a['append']
        else:
            wanted = groups_wanted(info, remove_existing=False)
            d = set(current).symmetric_difference(wanted)
            if d:
                if a['append']:
                    if any(g in d for g in wanted):
                        cmd.append('-a')
                        need = True
                else:
                    need = True
        if need:
            cmd += ['-G', ','.join(sorted(wanted))]
    if a.get('comment') is not None and info.pw_gecos != a['comment']:
        cmd += ['-c', a['comment']]
    if a.get('home') is not None and info.pw_dir != a['home']:
        cmd += ['-d', a['home']]
        if a['move_home']:
            cmd.append('-m')
    if a.get('shell') is not None and info.pw_shell != a['shell']:
        cmd += ['-s', a['shell']]
    sh = shadow_entry(name) or [name, '', '', '', '', '', '', '', '']
    ex = expires_struct()
    if ex is not None:
        cur = int(sh[7]) if len(sh) > 7 and sh[7] not in ('', None) else -1
        if a['expires'] < 0:
            if cur >= 0:
                cmd += ['-e', '']
        elif cur < 0 or time.gmtime(cur * 86400)[:3] != ex[:3]:
            cmd += ['-e', time.strftime(DATE_FORMAT, ex)]
    cur_pw = sh[1]
    if a.get('password_lock') and not cur_pw.startswith('!'):
        cmd.append('-L')
    elif a.get('password_lock') is False and cur_pw.startswith('!'):
        cmd.append('-U')
    if a['update_password'] == 'always' and a.get('password') is not None and cur_pw.lstrip('!') != a['password'].lstrip('!'):
        cmd = [c for c in cmd if c not in ('-U', '-L')]
        cmd += ['-p', ('!' + a['password']) if a.get('password_lock') else a['password']]
    if len(cmd) > 1:
        return exe(cmd + [name])
    return (None, '', '')

def create_homedir(path):
    skel = ARGS.get('skeleton') or '/etc/skel'
    if os.path.exists(skel):
        shutil.copytree(skel, path, symlinks=True)
    else:
        os.makedirs(path)
    try:
        with open('/etc/login.defs') as f:
            for line in f:
                m = re.match(r'^UMASK\s+(\d+)$', line)
                if m:
                    os.chmod(path, 0o777 & ~int(m.group(1), 8))
    except IOError:
        pass

def chown_tree(uid, gid, path):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            try:
                os.lchown(os.path.join(root, n), uid, gid)
            except OSError:
                pass

def ssh_key(name, info):
    a = ARGS
    path = a.get('ssh_key_file') or '.ssh/id_%s' % a['ssh_key_type']
    if not os.path.isabs(path):
        path = os.path.join(info.pw_dir, path)
    rc = None
    if not os.path.exists(path):
        if CHECK:
            rc = 0
        else:
            d = os.path.dirname(path)
            if not os.path.exists(d):
                os.mkdir(d, 0o700)
                os.chown(d, info.pw_uid, info.pw_gid)
            cmd = [which('ssh-keygen') or 'ssh-keygen', '-t', a['ssh_key_type']]
            if a['ssh_key_bits'] > 0:
                cmd += ['-b', str(a['ssh_key_bits'])]
            cmd += ['-C', a['ssh_key_comment'] or ('ansible-generated on %s' % socket.gethostname()), '-f', path, '-N', a.get('ssh_key_passphrase') or '']
            rc, out, err = run_cmd(cmd)
            if rc != 0:
                fail(err, name=name, rc=rc)
            for p in (path, path + '.pub'):
                os.chown(p, info.pw_uid, info.pw_gid)
    fp = run_cmd([which('ssh-keygen') or 'ssh-keygen', '-l', '-f', path])
    pub = None
    try:
        with open(path + '.pub') as f:
            pub = f.read().strip()
    except IOError:
        pass
    return rc, {'ssh_fingerprint': (fp[1] if fp[0] == 0 else fp[2]).strip(), 'ssh_key_file': path, 'ssh_public_key': pub}

def password_expire(name):
    mx, mn = ARGS.get('password_expire_max'), ARGS.get('password_expire_min')
    if mx is None and mn is None:
        return None
    sh = shadow_entry(name) or []
    cur_min = int(sh[3]) if len(sh) > 3 and sh[3] != '' else -1
    cur_max = int(sh[4]) if len(sh) > 4 and sh[4] != '' else -1
    cmd = [which('chage') or 'chage']
    if mn is not None and mn != cur_min:
        cmd += ['-m', str(mn)]
    if mx is not None and mx != cur_max:
        cmd += ['-M', str(mx)]
    if len(cmd) == 1:
        return None
    rc, out, err = exe(cmd + [name])
    if rc != 0:
        fail(err, name=name, rc=rc)
    return rc

def main():
    a = ARGS
    name, state = a['name'], a['state']
    if a.get('local'):
        fail('local: true (luseradd) is not supported by wheelwright')
    pwd_ = a.get('password')
    if pwd_ is not None and pwd_ not in ('', '*', '!') and not re.match(r'^[!*]*(\$[0-9a-z]+\$|[./0-9A-Za-z]{13}$)', pwd_):
        warn = 'The input password appears not to have been hashed. The "password" argument must be encrypted for this module to work properly.'
    else:
        warn = None
    res = {'name': name, 'state': state}
    rc, out, err = None, '', ''
    info = pw(name)
    if state == 'absent':
        if info is not None:
            if CHECK:
                return {'changed': True}
            cmd = [which('userdel') or 'userdel']
            if a['force']:
                cmd.append('-f')
            if a['remove']:
                cmd.append('-r')
            rc, out, err = run_cmd(cmd + [name])
            if rc != 0:
                fail(err, name=name, rc=rc)
            res['force'] = a['force']
            res['remove'] = a['remove']
    else:
        if info is None:
            if CHECK:
                return {'changed': True}
            home = a.get('home')
            needs_parents = bool(home and a['create_home'] and not os.path.isdir(os.path.dirname(home)))
            if needs_parents:
                os.makedirs(os.path.dirname(home))
            rc, out, err = create(name)
            res['system'] = a['system']
            res['create_home'] = a['create_home']
        else:
            rc, out, err = modify(name, info)
            res['append'] = a['append']
            res['move_home'] = a['move_home']
        if rc is not None and rc != 0:
            fail(err, name=name, rc=rc)
        if pwd_ is not None:
            res['password'] = 'NOT_LOGGING_PASSWORD'
    res['changed'] = rc is not None
    if out:
        res['stdout'] = out
    if err:
        res['stderr'] = err
    info = pw(name)
    if info is not None and state == 'present':
        res.update(uid=info.pw_uid, group=info.pw_gid, comment=info.pw_gecos, home=info.pw_dir, shell=info.pw_shell)
        if a.get('groups') is not None:
            res['groups'] = ','.join(a['groups'])
        home = a.get('home') or info.pw_dir
        if not os.path.exists(home) and a['create_home']:
            if not CHECK:
                create_homedir(home)
                chown_tree(info.pw_uid, info.pw_gid, home)
            res['changed'] = True
        if a.get('generate_ssh_key'):
            krc, kres = ssh_key(name, info)
            if krc == 0:
                res['changed'] = True
            res.update(kres)
        if password_expire(name) is not None:
            res['changed'] = True
    if warn:
        res['warnings'] = [warn]
    return res
`;

export const userModule: ModuleDef = {
  name: 'user',
  description: 'Manage local user accounts (useradd/usermod/userdel), their groups, home, shell, password hash and SSH key.',
  checkMode: 'full',
  argSpec: {
    name: { type: 'str', required: true, aliases: ['user'], description: 'the user name' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'whether the account should exist' },
    uid: { type: 'int', description: 'the user id' },
    non_unique: { type: 'bool', default: false, description: 'allow a non-unique uid' },
    group: { type: 'str', description: 'primary group (name or gid; must exist)' },
    groups: { type: 'list', elements: 'str', description: 'supplementary groups; [] or "" removes all unless append' },
    append: { type: 'bool', default: false, description: 'add to groups instead of setting them exactly' },
    comment: { type: 'str', description: 'the GECOS field' },
    home: { type: 'path', description: 'home directory' },
    shell: { type: 'str', description: 'login shell' },
    password: { type: 'str', no_log: true, description: 'the password HASH (crypt format), as in /etc/shadow' },
    password_lock: { type: 'bool', description: 'lock (true) or unlock (false) the password' },
    update_password: { type: 'str', default: 'always', choices: ['always', 'on_create'], description: 'always: set the hash when it differs; on_create: only for new users' },
    password_expire_max: { type: 'int', description: 'maximum days between password changes (chage -M)' },
    password_expire_min: { type: 'int', description: 'minimum days between password changes (chage -m)' },
    expires: { type: 'raw', description: 'account expiry, seconds since the epoch (a negative value removes it)' },
    create_home: { type: 'bool', default: true, aliases: ['createhome'], description: 'create the home directory (from the skeleton)' },
    move_home: { type: 'bool', default: false, description: 'with a new home: move the old one there' },
    skeleton: { type: 'str', description: 'skeleton directory for a new home' },
    umask: { type: 'str', description: 'umask for a new home (useradd -K UMASK=)' },
    system: { type: 'bool', default: false, description: 'create a system account (only on creation)' },
    force: { type: 'bool', default: false, description: 'state=absent: userdel --force' },
    remove: { type: 'bool', default: false, description: 'state=absent: remove the home and mail spool (userdel -r)' },
    generate_ssh_key: { type: 'bool', description: 'create an SSH key pair for the user when missing' },
    ssh_key_bits: { type: 'int', default: 0, description: 'key size (0: ssh-keygen default)' },
    ssh_key_type: { type: 'str', default: 'rsa', description: 'key type' },
    ssh_key_file: { type: 'path', description: 'key path (relative to the home); default .ssh/id_<type>' },
    ssh_key_comment: { type: 'str', description: "key comment (default 'ansible-generated on <hostname>')" },
    ssh_key_passphrase: { type: 'str', no_log: true, description: 'key passphrase' },
    local: { type: 'bool', description: 'luseradd: not supported (an error when true)' },
  },
  returns: {
    name: 'user name', state: 'the state asked for', uid: 'user id', group: 'primary group id', comment: 'GECOS', home: 'home directory', shell: 'login shell',
    groups: 'the groups asked for (comma separated)', system: 'new user: system asked for', create_home: 'new user: create_home', append: 'existing user: append',
    move_home: 'existing user: move_home', password: "'NOT_LOGGING_PASSWORD' when a password was given", force: 'absent: force', remove: 'absent: remove',
    ssh_fingerprint: 'generate_ssh_key: the key fingerprint', ssh_key_file: 'generate_ssh_key: its path', ssh_public_key: 'generate_ssh_key: the public key',
  },
  async run(args, ctx) {
    const a = { ...args };
    if (a.expires !== undefined && a.expires !== null) a.expires = Number(a.expires);
    return runPython(ctx, 'user', BODY, a);
  },
};
