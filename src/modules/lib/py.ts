import type { ModuleContext, ModuleResult } from '../types.js';
import { tail } from './exec.js';

/**
 * Modules whose semantics are Python's (regular expressions, archive and HTTP handling, user
 * databases) run ONE remote Python program per task: a small boot line reads a JSON document from
 * stdin holding the program (the shared prelude below plus the module's own body) and its
 * arguments, runs it, and the program prints its result as one marked JSON line. Nothing is
 * copied to the host, nothing is left behind, and no argument ever reaches a shell.
 * Needs Python >= 3.6 on the host (as Ansible's modules do); `ansible_python_interpreter` is honoured.
 */
export const RESULT_MARK = '@@ww-result ';

const BOOT = [
  'import sys,json',
  "d=json.loads(sys.stdin.buffer.read().decode('utf-8'))",
  "g={'__name__':'__wheelwright__','ARGS':d['args'],'CHECK':d['check'],'DIFF':d['diff'],'MODULE':d['module']}",
  "exec(compile(d['code'],'<wheelwright '+d['module']+'>','exec'),g)",
].join('\n');

/**
 * Shared pieces every Python module body can use. The body defines `main()`, which returns the
 * result dict (or calls fail()). Written for Python 3.6+ (no walrus, no match).
 */
export const PY_PRELUDE = String.raw`
import os, sys, json, re, stat, time, tempfile, shutil, subprocess, pwd, grp, errno

class ModuleFail(Exception):
    def __init__(self, msg, **kw):
        Exception.__init__(self, msg)
        self.msg = msg
        self.kw = kw

def fail(msg, **kw):
    raise ModuleFail(msg, **kw)

class Done(Exception):
    """Raised by a module body to end early with a (successful) result: raise Done(res)."""
    def __init__(self, res):
        Exception.__init__(self, 'done')
        self.res = res

def to_text(b):
    if isinstance(b, bytes):
        return b.decode('utf-8', 'surrogateescape')
    return b

def to_bytes(s):
    if isinstance(s, bytes):
        return s
    return s.encode('utf-8', 'surrogateescape')

def run_cmd(argv, data=None, cwd=None, env=None, check_rc=False):
    e = None
    if env:
        e = dict(os.environ)
        e.update(env)
    try:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=e)
    except OSError as ex:
        if check_rc:
            fail('%s: %s' % (argv[0], ex.strerror), rc=None, cmd=argv)
        return (None, '', str(ex))
    out, err = p.communicate(to_bytes(data) if data is not None else None)
    out, err = to_text(out), to_text(err)
    if check_rc and p.returncode != 0:
        fail(err.strip() or out.strip() or ('%s failed' % argv[0]), rc=p.returncode, stdout=out, stderr=err, cmd=' '.join(argv))
    return (p.returncode, out, err)

def which(name, extra=('/sbin', '/usr/sbin', '/usr/local/sbin')):
    paths = os.environ.get('PATH', '/usr/bin:/bin').split(os.pathsep) + list(extra)
    for d in paths:
        c = os.path.join(d, name)
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None

def read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()

def backup_local(path):
    """Ansible's backup name: PATH.PID.YYYY-MM-DD@HH:MM:SS~ (a copy that keeps mode and times)."""
    ext = time.strftime('%Y-%m-%d@%H:%M:%S~', time.localtime(time.time()))
    dest = '%s.%s.%s' % (path, os.getpid(), ext)
    shutil.copy2(path, dest)
    return dest

def atomic_write(path, data, src_stat=None):
    """Write bytes to a temporary file next to PATH, keep the old file's mode/owner, fsync, rename."""
    d = os.path.dirname(os.path.abspath(path)) or '.'
    fd, tmp = tempfile.mkstemp(prefix='.%s.ww-tmp-' % os.path.basename(path), dir=d)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(to_bytes(data))
            f.flush()
            os.fsync(f.fileno())
        st = src_stat
        if st is None and os.path.exists(path):
            st = os.stat(path)
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass
        else:
            um = os.umask(0); os.umask(um)
            os.chmod(tmp, 0o666 & ~um)
        os.rename(tmp, path)
    except Exception:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise

def symbolic_mode(cur, mode, isdir):
    """Apply a chmod(1) symbolic mode (u+rwX,g-w,o=) to the integer mode CUR."""
    new = cur
    for clause in mode.split(','):
        m = re.match(r'^([ugoa]*)([-+=])([rwxXst]*|[ugo])$', clause)
        if not m:
            fail('bad symbolic permission for mode: %s' % mode)
        who, op, perms = m.groups()
        if not who:
            who = 'a'
        masks = {'u': 0o4700, 'g': 0o2070, 'o': 0o1007}
        users = 'ugo' if 'a' in who else who
        for u in users:
            if perms in ('u', 'g', 'o'):
                src = {'u': (new >> 6) & 7, 'g': (new >> 3) & 7, 'o': new & 7}[perms]
                shift = {'u': 6, 'g': 3, 'o': 0}[u]
                bits = src << shift
            else:
                bits = 0
                shift = {'u': 6, 'g': 3, 'o': 0}[u]
                for p in perms:
                    if p == 'r': bits |= 4 << shift
                    elif p == 'w': bits |= 2 << shift
                    elif p == 'x': bits |= 1 << shift
                    elif p == 'X':
                        if isdir or (cur & 0o111): bits |= 1 << shift
                    elif p == 's':
                        if u == 'u': bits |= 0o4000
                        elif u == 'g': bits |= 0o2000
                    elif p == 't':
                        if u == 'o': bits |= 0o1000
            if op == '+': new |= bits
            elif op == '-': new &= ~bits
            else: new = (new & ~masks[u]) | bits
    return new

def wanted_mode(cur, mode, isdir):
    if mode is None:
        return None
    if isinstance(mode, int):
        return mode
    s = str(mode)
    if re.match(r'^[0-7]+$', s):
        return int(s, 8)
    return symbolic_mode(cur, s, isdir)

def set_flags(path, attributes, check=False):
    """Ansible's set_attributes_if_different: chattr when lsattr's flags are not ATTRIBUTES ('+x'/'-x'
    add/remove flags, '-x' always runs chattr; no chattr on the host: nothing done)."""
    if attributes is None:
        return False
    if check and not os.path.exists(path):
        return True
    existing = ''
    lsattr = which('lsattr')
    if lsattr:
        rc, out, err = run_cmd([lsattr, '-d', path])
        if rc == 0 and out.split():
            existing = out.split()[0].replace('-', '').strip()
    op = '='
    if attributes.startswith(('-', '+')):
        op, attributes = attributes[0], attributes[1:]
    if existing == attributes and op != '-':
        return False
    chattr = which('chattr')
    if not chattr:
        return False
    if not check:
        rc, out, err = run_cmd([chattr, op + attributes, path])
        if rc != 0 or err:
            fail('chattr failed', path=path, details='Error while setting attributes: %s' % (out + err))
    return True

def set_attrs(path, mode=None, owner=None, group=None, check=False, follow=True, attributes=None):
    """Set mode/owner/group (and chattr flags) on PATH where they differ; returns True when something (would) change."""
    changed = False
    st = os.stat(path) if follow else os.lstat(path)
    if owner is not None:
        try:
            uid = int(owner) if re.match(r'^\d+$', str(owner)) else pwd.getpwnam(owner).pw_uid
        except KeyError:
            fail('chown failed: failed to look up user %s' % owner, path=path)
        if uid != st.st_uid:
            changed = True
            if not check:
                os.chown(path, uid, -1) if follow else os.lchown(path, uid, -1)
    if group is not None:
        try:
            gid = int(group) if re.match(r'^\d+$', str(group)) else grp.getgrnam(group).gr_gid
        except KeyError:
            fail('chgrp failed: failed to look up group %s' % group, path=path)
        if gid != st.st_gid:
            changed = True
            if not check:
                os.chown(path, -1, gid) if follow else os.lchown(path, -1, gid)
    if mode is not None and (follow or not stat.S_ISLNK(st.st_mode)):
        cur = stat.S_IMODE(st.st_mode)
        want = wanted_mode(cur, mode, stat.S_ISDIR(st.st_mode))
        if want != cur:
            changed = True
            if not check:
                os.chmod(path, want)
    if attributes is not None and (follow or not stat.S_ISLNK(st.st_mode)) and set_flags(path, attributes, check):
        changed = True
    return changed

def path_info(path, follow=True):
    """The fields Ansible adds to a file result: path state and attributes."""
    r = {'path': path}
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError:
        r['state'] = 'absent'
        return r
    try:
        r['owner'] = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        r['owner'] = str(st.st_uid)
    try:
        r['group'] = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        r['group'] = str(st.st_gid)
    r['uid'] = st.st_uid
    r['gid'] = st.st_gid
    r['mode'] = '%04o' % stat.S_IMODE(st.st_mode)
    r['size'] = st.st_size
    if stat.S_ISDIR(st.st_mode): r['state'] = 'directory'
    elif stat.S_ISLNK(st.st_mode): r['state'] = 'link'
    elif st.st_nlink > 1: r['state'] = 'hard'
    else: r['state'] = 'file'
    return r

def sha1_file(path):
    import hashlib
    h = hashlib.sha1()
    with open(path, 'rb') as f:
        for b in iter(lambda: f.read(65536), b''):
            h.update(b)
    return h.hexdigest()

def digest_file(path, algo):
    import hashlib
    h = hashlib.new(algo)
    with open(path, 'rb') as f:
        for b in iter(lambda: f.read(65536), b''):
            h.update(b)
    return h.hexdigest()

def write_validated(path, data, validate=None):
    """Atomic write of DATA onto PATH's real path; with VALIDATE (a command with %s), the
    temporary file is checked first and the write refused when the command fails."""
    real = os.path.realpath(path)
    if not validate:
        atomic_write(real, data)
        return
    if '%s' not in validate:
        fail('validate must contain %%s: %s' % validate)
    import shlex
    d = os.path.dirname(real) or '.'
    fd, tmp = tempfile.mkstemp(prefix='.%s.ww-val-' % os.path.basename(real), dir=d)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(to_bytes(data))
        rc, out, err = run_cmd(shlex.split(validate % tmp))
        if rc != 0:
            fail('failed to validate: rc:%s error:%s' % (rc, err))
    finally:
        os.unlink(tmp)
    atomic_write(real, data)

def file_attrs(path, changed, msg, check):
    """Apply ARGS' mode/owner/group (Ansible's file common arguments) and say so in the message."""
    if not os.path.exists(path):
        return msg, changed
    if set_attrs(path, ARGS.get('mode'), ARGS.get('owner'), ARGS.get('group'), check, attributes=ARGS.get('attributes')):
        if changed:
            msg += ' and '
        changed = True
        msg += 'ownership, perms or SE linux context changed'
    return msg, changed

def add_path_info(res):
    """What AnsibleModule adds to every result naming a path or dest that exists (it overwrites)."""
    p = res.get('path', res.get('dest'))
    if not isinstance(p, str) or not os.path.exists(p):
        return res
    st = os.stat(p)
    lst = os.lstat(p)
    res['uid'], res['gid'] = st.st_uid, st.st_gid
    try:
        res['owner'] = pwd.getpwuid(st.st_uid)[0]
    except KeyError:
        res['owner'] = str(st.st_uid)
    try:
        res['group'] = grp.getgrgid(st.st_gid)[0]
    except KeyError:
        res['group'] = str(st.st_gid)
    res['mode'] = '0%03o' % stat.S_IMODE(lst.st_mode)
    if os.path.islink(p):
        res['state'] = 'link'
    elif os.path.isdir(p):
        res['state'] = 'directory'
    elif st.st_nlink > 1:
        res['state'] = 'hard'
    else:
        res['state'] = 'file'
    res['size'] = lst.st_size
    return res

def _ww_finish(res):
    sys.stdout.write('\n${RESULT_MARK}' + json.dumps(res, default=str) + '\n')
    sys.stdout.flush()
`;

const PY_MAIN = String.raw`
try:
    try:
        _ww_res = main()
    except Done as _ww_d:
        _ww_res = _ww_d.res
    if _ww_res is None:
        _ww_res = {'changed': False}
except ModuleFail as _ww_e:
    _ww_res = dict(_ww_e.kw)
    _ww_res['failed'] = True
    _ww_res['msg'] = _ww_e.msg
    _ww_res.setdefault('changed', False)
except Exception as _ww_e:
    import traceback
    _ww_res = {'failed': True, 'changed': False, 'msg': 'MODULE FAILURE: %s: %s' % (type(_ww_e).__name__, _ww_e), 'exception': traceback.format_exc()}
if not _ww_res.pop('_ww_no_path_info', False):
    add_path_info(_ww_res)
_ww_finish(_ww_res)
`;

/** The program a module sends: prelude, body, main call (pure: unit tests compile it with python3). */
export function composePython(body: string): string {
  return `${PY_PRELUDE}\n${body}\n${PY_MAIN}`;
}

function interpreter(ctx: ModuleContext): string | undefined {
  try {
    const v = ctx.vars.ansible_python_interpreter;
    if (typeof v === 'string' && v !== '' && !v.startsWith('auto')) return v;
  } catch {
    /* an undefined or broken variable: use discovery */
  }
  return undefined;
}

/** The shell command that finds Python and runs the boot line (the program arrives on stdin). */
export function pythonCommand(interp?: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const boot = q(BOOT);
  if (interp) return `exec ${q(interp)} -c ${boot}`;
  return `for ww_py in python3 /usr/bin/python3 /usr/libexec/platform-python /usr/local/bin/python3; do command -v "$ww_py" >/dev/null 2>&1 && exec "$ww_py" -c ${boot}; done; echo 'wheelwright: no python3 on this host (the module needs it, as in Ansible)' >&2; exit 127`;
}

export interface PyOptions {
  /** Kill the remote program after this long (wait_for, uri, get_url add their own margin). */
  timeoutMs?: number;
  /** Override the check flag (modules that always run read-only). */
  check?: boolean;
}

/** Run a Python module body on the task's connection: one round trip; the result is its JSON. */
export async function runPython(ctx: ModuleContext, module: string, body: string, args: Record<string, unknown>, opts: PyOptions = {}): Promise<ModuleResult> {
  const doc = JSON.stringify({ module, code: composePython(body), args, check: opts.check ?? ctx.check, diff: ctx.diff });
  const r = await ctx.conn.exec(pythonCommand(interpreter(ctx)), { become: ctx.become, env: ctx.env, stdin: doc, timeoutMs: opts.timeoutMs });
  const at = r.stdout.lastIndexOf(RESULT_MARK);
  if (at < 0) {
    const t = tail(r.stderr) || tail(r.stdout);
    return { changed: false, failed: true, msg: `${module}: the remote program failed (rc=${r.code})${t ? `: ${t}` : ''}`, rc: r.code, module_stderr: r.stderr, module_stdout: r.stdout };
  }
  const line = r.stdout.slice(at + RESULT_MARK.length).split('\n')[0]!;
  let res: ModuleResult;
  try {
    res = JSON.parse(line) as ModuleResult;
  } catch {
    return { changed: false, failed: true, msg: `${module}: unreadable result from the remote program`, module_stdout: r.stdout };
  }
  if (typeof res.changed !== 'boolean') res.changed = !!res.changed;
  if (res.failed === false) delete res.failed;
  return res;
}
