import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** ansible.posix.mount on Linux: the fstab line and the live mount, as that module decides them. */
const BODY = String.raw`
def esc(v):
    if isinstance(v, int):
        return v
    return v.replace('\\', '\\134').replace(' ', '\\040').replace('&', '\\046')

def fstab_args(path):
    return ['-T', path] if path != '/etc/fstab' else []

def linux_mounts():
    out = {}
    try:
        for line in open('/proc/self/mountinfo'):
            f = line.split()
            sep = f.index('-')
            out[f[4]] = {'root': f[3], 'fstype': f[sep + 1], 'src': f[sep + 2]}
    except (IOError, ValueError):
        return None
    return out

def is_mounted(path, mounts):
    return os.path.ismount(path) or (mounts is not None and path in mounts)

def write_fstab(lines, path):
    backup = backup_local(path) if ARGS['backup'] and os.path.exists(path) else ''
    atomic_write(path, ''.join(lines).encode())
    return backup

def read_lines(path):
    if not os.path.exists(path):
        open(path, 'a').close()
    return open(path).readlines()

def set_mount(args):
    out, old, exists, changed = [], [], False, False
    e = dict((k, esc(v)) for k, v in args.items() if k != 'warnings')
    fmt = '%(src)s %(name)s %(fstype)s %(opts)s %(dump)s %(passno)s\n'
    for line in read_lines(args['fstab']):
        if not line.endswith('\n'):
            line += '\n'
        old.append(line)
        if not line.strip() or line.strip().startswith('#'):
            out.append(line)
            continue
        f = line.split()
        if len(f) not in (4, 5, 6):
            out.append(line)
            continue
        ld = {'dump': 0, 'passno': 0}
        for i, v in enumerate(f):
            ld[['src', 'name', 'fstype', 'opts', 'dump', 'passno'][i]] = v
        if ld['name'] != e['name'] or ('src' in args and ld['name'] == 'none' and ld['fstype'] == 'swap' and ld['src'] != args['src']):
            out.append(line)
            continue
        exists = True
        ch = False
        for t in ('src', 'fstype', 'opts', 'dump', 'passno'):
            if ld[t] != e[t]:
                ld[t] = e[t]
                ch = True
        changed = changed or ch
        out.append(fmt % ld if ch else line)
    if not exists:
        out.append(fmt % e)
        changed = True
    if changed and not CHECK:
        args['backup_file'] = write_fstab(out, args['fstab'])
    return changed, old

def unset_mount(args):
    out, changed = [], False
    name = esc(args['name'])
    for line in read_lines(args['fstab']):
        if not line.strip() or line.strip().startswith('#') or len(line.split()) != 6:
            out.append(line)
            continue
        src, n, fstype, opts, dump, passno = line.split()
        if n != name or ('src' in args and n == 'none' and fstype == 'swap' and src != args['src']):
            out.append(line)
            continue
        changed = True
    if changed and not CHECK:
        args['backup_file'] = write_fstab(out, args['fstab'])
    return changed

def do_mount(args):
    rc, out, err = run_cmd([which('mount') or 'mount'] + fstab_args(args['fstab']) + [args['name']])
    return (0, '') if rc == 0 else (rc, out + err)

def do_umount(path):
    rc, out, err = run_cmd([which('umount') or 'umount', path])
    return (0, '') if rc == 0 else (rc, out + err)

def remount(args):
    state = ARGS['state']
    opts = ['-o', 'remount,' + args['opts']] if state == 'remounted' and args['opts'] != 'defaults' else ['-o', 'remount']
    rc, out, err = run_cmd([which('mount') or 'mount'] + opts + fstab_args(args['fstab']) + [args['name']])
    if rc != 0:
        if state == 'remounted' and args['opts'] != 'defaults':
            fail('Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a "state: unmounted" followed by a "state: mounted" using the full desired mount options instead.')
        rc, msg = do_umount(args['name'])
        if rc == 0:
            rc, msg = do_mount(args)
        return rc, msg
    return 0, ''

def main():
    p = ARGS
    args = {'name': p['path'], 'opts': 'defaults', 'dump': '0', 'passno': '0', 'fstab': p.get('fstab') or '/etc/fstab', 'boot': 'yes', 'warnings': [], 'backup_file': ''}
    for k in ('src', 'fstype', 'passno', 'opts', 'dump'):
        if p.get(k) is not None:
            args[k] = p[k]
    if p.get('fstab') is not None:
        args['fstab'] = p['fstab']
    opts = args['opts'].split(',')
    if 'noauto' in opts:
        args['warnings'].append("Ignore the 'boot' due to 'opts' contains 'noauto'.")
    elif not p['boot']:
        args['boot'] = 'no'
        if 'defaults' in opts:
            args['warnings'].append("Ignore the 'boot' due to 'opts' contains 'defaults'.")
        else:
            opts.append('noauto')
            args['opts'] = ','.join(opts)
    mounts = linux_mounts()
    state, name = p['state'], p['path']
    changed = False
    if state == 'absent_from_fstab':
        changed = unset_mount(args)
    elif state == 'absent':
        changed = unset_mount(args)
        if changed and not CHECK:
            if is_mounted(name, mounts):
                rc, msg = do_umount(name)
                if rc:
                    fail('Error unmounting %s: %s' % (name, msg))
            if os.path.exists(name):
                try:
                    os.rmdir(name)
                except OSError as e:
                    fail('Error rmdir %s: %s' % (name, e))
    elif state == 'unmounted':
        if is_mounted(name, mounts):
            if not CHECK:
                rc, msg = do_umount(name)
                if rc:
                    fail('Error unmounting %s: %s' % (name, msg))
            changed = True
    elif state == 'mounted':
        created = []
        if not os.path.exists(name) and not CHECK:
            cur = ''
            for part in name.strip('/').split('/'):
                cur = cur + '/' + part
                if not os.path.exists(cur):
                    os.mkdir(cur)
                    created.append(cur)
        changed, old = set_mount(args)
        rc, msg = 0, ''
        if is_mounted(name, mounts):
            if changed and not CHECK:
                rc, msg = remount(args)
        else:
            changed = True
            if not CHECK:
                rc, msg = do_mount(args)
        if rc:
            try:
                write_fstab(old, args['fstab'])
            except Exception:
                pass
            for d in reversed(created):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
            fail('Error mounting %s: %s' % (name, msg))
    elif state == 'present':
        changed, _ = set_mount(args)
    elif state == 'remounted':
        if not CHECK:
            rc, msg = remount(args)
            if rc:
                fail('Error remounting %s: %s' % (name, msg))
        changed = True
    if not args['warnings']:
        del args['warnings']
    res = dict(args)
    res['changed'] = changed
    res['_ww_no_path_info'] = True
    return res
`;

export const mountModule: ModuleDef = {
  name: 'mount',
  collection: 'ansible.posix',
  description: 'Control mounts and their fstab lines (present, mounted, unmounted, remounted, absent).',
  notes: 'Linux only. state=ephemeral is not supported.',
  checkMode: 'full',
  argSpec: {
    path: { type: 'path', required: true, aliases: ['name'], description: 'the mount point' },
    src: { type: 'path', description: 'the device or source (required for mounted/present)' },
    fstype: { type: 'str', description: 'the file system type (required for mounted/present)' },
    opts: { type: 'str', description: "mount options (default 'defaults')" },
    dump: { type: 'str', default: '0', description: 'fstab dump field' },
    passno: { type: 'str', default: '0', description: 'fstab pass field' },
    state: { type: 'str', required: true, choices: ['absent', 'absent_from_fstab', 'mounted', 'present', 'unmounted', 'remounted'], description: 'the wanted state' },
    fstab: { type: 'str', description: 'the fstab file (default /etc/fstab; another one is passed to mount -T)' },
    boot: { type: 'bool', default: true, description: "no: add 'noauto' to opts" },
    backup: { type: 'bool', default: false, description: 'keep a timestamped copy of the old fstab' },
  },
  requiredIf: [['state', 'mounted', ['src', 'fstype']], ['state', 'present', ['src', 'fstype']]],
  returns: { name: 'the mount point', src: 'source', fstype: 'type', opts: 'options', dump: 'dump', passno: 'passno', fstab: 'the fstab file', boot: 'yes/no', backup_file: 'the backup, when made' },
  run: (args, ctx) => runPython(ctx, 'mount', BODY, args),
};
