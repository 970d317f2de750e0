import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';
import { PY_HTTP } from './lib/py-http.js';

/** ansible.posix.authorized_key: keys parsed and written back in their order, as that module does. */
const BODY = String.raw`
import shlex
from collections import OrderedDict
from operator import itemgetter

TYPES = ['sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com', 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
         'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384-cert-v01@openssh.com',
         'ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp521-cert-v01@openssh.com', 'sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519-cert-v01@openssh.com',
         'ssh-ed25519', 'ssh-ed25519-cert-v01@openssh.com', 'ssh-dss', 'ssh-rsa', 'ssh-xmss@openssh.com', 'ssh-xmss-cert-v01@openssh.com',
         'rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com',
         'ssh-dss-cert-v01@openssh.com']

def keyfile(user, write, path, manage_dir, follow=False):
    if CHECK and path is not None:
        return os.path.realpath(path) if follow else path
    try:
        pw = pwd.getpwnam(user)
    except KeyError as e:
        if CHECK and path is None:
            fail('Either user must exist or you must provide full path to key file in check mode')
        fail('Failed to lookup user %s: %s' % (user, e))
    if path is None:
        sshdir = os.path.join(pw.pw_dir, '.ssh')
        kf = os.path.join(sshdir, 'authorized_keys')
    else:
        sshdir, kf = os.path.dirname(path), path
    if follow:
        kf = os.path.realpath(kf)
    if not write or CHECK:
        return kf
    if manage_dir:
        if not os.path.exists(sshdir):
            os.mkdir(sshdir, 0o700)
        os.chown(sshdir, pw.pw_uid, pw.pw_gid)
        os.chmod(sshdir, 0o700)
    if not os.path.exists(kf):
        if not os.path.exists(os.path.dirname(kf)):
            os.makedirs(os.path.dirname(kf))
        open(kf, 'w').close()
    try:
        os.chown(kf, pw.pw_uid, pw.pw_gid)
        os.chmod(kf, 0o600)
    except OSError:
        pass
    return kf

def parseoptions(options):
    d = OrderedDict()
    if options:
        parts = re.compile(r'''((?:[^,"']|"[^"]*"|'[^']*')+)''').split(options)[1:-1]
        for part in parts:
            if '=' in part:
                k, v = part.split('=', 1)
                d[k] = v
            elif part != ',':
                d[part] = None
    return d

def parsekey(raw, rank=None):
    raw = raw.replace(r'\#', '#')
    lex = shlex.shlex(raw)
    lex.quotes = []
    lex.commenters = ''
    lex.whitespace_split = True
    parts = list(lex)
    if parts and parts[0] == '#':
        return (raw, 'skipped', None, None, rank)
    ti = None
    for i, p in enumerate(parts):
        if p in TYPES:
            ti = i
            break
    if ti is None:
        return None
    options = parseoptions(' '.join(parts[:ti]) if ti > 0 else None)
    if len(parts) <= ti + 1:
        return None
    return (parts[ti + 1], parts[ti], options, ' '.join(parts[ti + 2:]), rank)

def parsekeys(text):
    keys = OrderedDict()
    for rank, line in enumerate(text.splitlines(True)):
        k = parsekey(line, rank)
        if k:
            keys[k[0]] = k
        else:
            keys[line] = (line, 'skipped', None, None, rank)
    return keys

def serialize(keys):
    out = []
    for k in sorted(keys.values(), key=itemgetter(4)):
        h, t, opts, comment, rank = k
        if t == 'skipped':
            out.append(h)
            continue
        o = ''
        if opts:
            o = ','.join(('%s' % ok) if ov is None else ('%s=%s' % (ok, ov)) for ok, ov in opts.items()) + ' '
        out.append('%s%s %s %s\n' % (o, t, h, comment))
    return ''.join(out)

def main():
    p = dict(ARGS)
    user, key, path, state = p['user'], p['key'], p.get('path'), p['state']
    if key.startswith('http'):
        r, info = fetch_url(key)
        if info['status'] != 200:
            fail('Error getting key from: %s' % key)
        key = r.read().decode('utf-8', 'surrogateescape')
    new = [s for s in key.splitlines() if s and not s.startswith('#')]
    write = False
    p['keyfile'] = keyfile(user, False, path, p['manage_dir'])
    before = open(p['keyfile']).read() if os.path.isfile(p['keyfile']) else ''
    existing = parsekeys(before)
    wanted = []
    top = len(existing)
    for rank, line in enumerate(new):
        k = parsekey(line, rank)
        if not k:
            fail('invalid key specified: %s' % line)
        if p.get('key_options') is not None:
            k = (k[0], k[1], parseoptions(p['key_options']), k[3], k[4])
        if p.get('comment') is not None:
            k = (k[0], k[1], k[2], p['comment'], k[4])
        matched = False
        stale = []
        if k[0] in existing:
            if k[:4] != existing[k[0]][:4] and state == 'present':
                stale.append(existing[k[0]])
            else:
                matched = True
        if state == 'present':
            wanted.append(k[0])
            for s in stale:
                if s[0] in existing:
                    del existing[s[0]]
                    write = True
            if not matched:
                existing[k[0]] = (k[0], k[1], k[2], k[3], top + k[4])
                write = True
        elif matched:
            del existing[k[0]]
            write = True
    if state == 'present' and p['exclusive']:
        for k in frozenset(existing).difference(wanted):
            del existing[k]
            write = True
    p['changed'] = False
    if write:
        fn = keyfile(user, True, path, p['manage_dir'], p['follow'])
        content = serialize(existing)
        if DIFF:
            p['diff'] = {'before_header': p['keyfile'], 'after_header': fn, 'before': before, 'after': content}
        if not CHECK:
            atomic_write(fn, content.encode())
        p['changed'] = True
    return p
`;

export const authorizedKeyModule: ModuleDef = {
  name: 'authorized_key',
  collection: 'ansible.posix',
  description: "Add or remove SSH public keys in a user's authorized_keys (options, comment, exclusive).",
  checkMode: 'full',
  diffMode: true,
  argSpec: {
    user: { type: 'str', required: true, description: 'the account whose file is managed' },
    key: { type: 'str', required: true, description: 'one or more public key lines, or an http(s) URL serving them' },
    path: { type: 'path', description: 'the file (default ~user/.ssh/authorized_keys)' },
    manage_dir: { type: 'bool', default: true, description: 'create the directory (0700, owned by the user)' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'whether the keys are there' },
    key_options: { type: 'str', description: 'options prepended to each key (e.g. no-port-forwarding,from="10.0.0.1")' },
    exclusive: { type: 'bool', default: false, description: 'remove every other key' },
    comment: { type: 'str', description: 'replace the keys\' comment' },
    validate_certs: { type: 'bool', default: true, description: 'check the certificate of an https key URL' },
    follow: { type: 'bool', default: false, description: 'follow a symlinked file instead of replacing it' },
  },
  returns: { keyfile: 'the file', user: 'user', key: 'the key(s)', key_options: 'options', exclusive: 'exclusive', state: 'state', manage_dir: 'manage_dir', path: 'path', comment: 'comment', follow: 'follow', validate_certs: 'validate_certs' },
  // the result echoes every parameter, null when not given, as Ansible's does
  run: (args, ctx) => runPython(ctx, 'authorized_key', `${PY_HTTP}\n${BODY}`, { ...Object.fromEntries(Object.keys(authorizedKeyModule.argSpec).map((k) => [k, null])), ...args }),
};
