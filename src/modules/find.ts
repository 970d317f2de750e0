import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** Walk the paths and filter by name, type, age, size and content, as Ansible's find does. */
const BODY = String.raw`
import fnmatch

def name_ok(name, pats, excl, rx):
    if not pats and not excl:
        return True
    test = (lambda p: re.compile(p).match(name)) if rx else (lambda p: fnmatch.fnmatch(name, p))
    for p in pats or []:
        if test(p):
            return not any(test(e) for e in (excl or []))
    return False

def age_ok(st, now, age, stamp):
    if age is None:
        return True
    d = now - getattr(st, 'st_' + stamp)
    return d >= abs(age) if age >= 0 else d <= abs(age)

def size_ok(st, size):
    if size is None:
        return True
    return st.st_size >= abs(size) if size >= 0 else st.st_size <= abs(size)

def content_ok(path, pattern, whole):
    if pattern is None:
        return True
    rx = re.compile(pattern)
    try:
        with open(path) as f:
            if whole:
                return bool(rx.search(f.read()))
            for line in f:
                if rx.match(line):
                    return True
    except Exception:
        pass
    return False

def info(st):
    m = st.st_mode
    try:
        pw_name = pwd.getpwuid(st.st_uid).pw_name
    except Exception:
        pw_name = ''
    try:
        gr_name = grp.getgrgid(st.st_gid).gr_name
    except Exception:
        gr_name = ''
    return {
        'mode': '%04o' % stat.S_IMODE(m), 'isdir': stat.S_ISDIR(m), 'ischr': stat.S_ISCHR(m), 'isblk': stat.S_ISBLK(m),
        'isreg': stat.S_ISREG(m), 'isfifo': stat.S_ISFIFO(m), 'islnk': stat.S_ISLNK(m), 'issock': stat.S_ISSOCK(m),
        'uid': st.st_uid, 'gid': st.st_gid, 'size': st.st_size, 'inode': st.st_ino, 'dev': st.st_dev, 'nlink': st.st_nlink,
        'atime': st.st_atime, 'mtime': st.st_mtime, 'ctime': st.st_ctime, 'gr_name': gr_name, 'pw_name': pw_name,
        'wusr': bool(m & stat.S_IWUSR), 'rusr': bool(m & stat.S_IRUSR), 'xusr': bool(m & stat.S_IXUSR),
        'wgrp': bool(m & stat.S_IWGRP), 'rgrp': bool(m & stat.S_IRGRP), 'xgrp': bool(m & stat.S_IXGRP),
        'woth': bool(m & stat.S_IWOTH), 'roth': bool(m & stat.S_IROTH), 'xoth': bool(m & stat.S_IXOTH),
        'isuid': bool(m & stat.S_ISUID), 'isgid': bool(m & stat.S_ISGID),
    }

def unit(text, units, what):
    if text is None:
        return None
    m = re.match(r'^(-?\d+)([a-z])?$', str(text).lower())
    if not m or (m.group(2) and m.group(2) not in units):
        fail('failed to process %s' % what, **{what: text})
    return int(m.group(1)) * units.get(m.group(2), 1)

def raise_(e):
    raise e

def main():
    a = ARGS
    pats = a['patterns'] or (['.*'] if a['use_regex'] else ['*'])
    age = unit(a.get('age'), {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}, 'age')
    size = unit(a.get('size'), {'b': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3, 't': 1024 ** 4}, 'size')
    now = time.time()
    found, skipped, looked, warned = [], {}, 0, []
    ftype = a['file_type']
    for top in a['paths']:
        top = os.path.expanduser(os.path.expandvars(top))
        try:
            if not os.path.isdir(top):
                raise Exception("'%s' is not a directory" % top)
            for root, dirs, files in os.walk(top, onerror=raise_, followlinks=a['follow']):
                looked += len(files) + len(dirs)
                for name in files + dirs:
                    p = os.path.normpath(os.path.join(root, name))
                    if a.get('depth'):
                        depth = p.count(os.path.sep) - (top.rstrip(os.path.sep) + os.path.sep).count(os.path.sep) + 1
                        if depth > a['depth']:
                            del dirs[:]
                            continue
                    if name.startswith('.') and not a['hidden']:
                        continue
                    try:
                        st = os.lstat(p)
                    except OSError as e:
                        skipped[p] = str(e)
                        warned.append("Skipped entry '%s' due to this access issue: %s\n" % (p, e))
                        continue
                    r = {'path': p}
                    m = st.st_mode
                    common = name_ok(name, pats, a.get('excludes'), a['use_regex']) and age_ok(st, now, age, a['age_stamp'])
                    if ftype == 'any':
                        if common and (not stat.S_ISREG(m) or size_ok(st, size)):
                            r.update(info(st))
                            if stat.S_ISREG(m) and a['get_checksum']:
                                r['checksum'] = sha1_file(p)
                            found.append(r)
                    elif ftype == 'directory' and stat.S_ISDIR(m):
                        if common:
                            r.update(info(st))
                            found.append(r)
                    elif ftype == 'file' and stat.S_ISREG(m):
                        if common and size_ok(st, size) and content_ok(p, a.get('contains'), a['read_whole_file']):
                            r.update(info(st))
                            if a['get_checksum']:
                                r['checksum'] = sha1_file(p)
                            found.append(r)
                    elif ftype == 'link' and stat.S_ISLNK(m):
                        if common:
                            r.update(info(st))
                            found.append(r)
                if not a['recurse']:
                    break
        except Exception as e:
            skipped[top] = str(e)
            warned.append("Skipped '%s' path due to this access issue: %s\n" % (top, e))
    res = {'files': found, 'changed': False, 'matched': len(found), 'examined': looked, 'skipped_paths': skipped,
           'msg': 'Not all paths examined, check warnings for details' if warned else 'All paths examined'}
    if warned:
        res['warnings'] = warned
    return res
`;

export const findModule: ModuleDef = {
  name: 'find',
  description: 'Find files by name (glob or regex), type, age, size or content; returns their stat fields.',
  checkMode: 'full',
  argSpec: {
    paths: { type: 'list', elements: 'str', required: true, aliases: ['name', 'path'], description: 'directories to search' },
    patterns: { type: 'list', elements: 'str', default: [], aliases: ['pattern'], description: 'basename globs (or regexes with use_regex); any may match' },
    excludes: { type: 'list', elements: 'str', aliases: ['exclude'], description: 'basenames matching these are left out' },
    contains: { type: 'str', description: 'regular expression a line (or the whole file with read_whole_file) must match' },
    read_whole_file: { type: 'bool', default: false, description: 'contains searches the whole file' },
    file_type: { type: 'str', default: 'file', choices: ['any', 'directory', 'file', 'link'], description: 'what to match' },
    age: { type: 'str', description: 'at least this old (negative: at most); units s, m, h, d, w' },
    age_stamp: { type: 'str', default: 'mtime', choices: ['atime', 'ctime', 'mtime'], description: 'the time age compares' },
    size: { type: 'str', description: 'at least this size (negative: at most); units b, k, m, g, t' },
    recurse: { type: 'bool', default: false, description: 'descend into directories' },
    hidden: { type: 'bool', default: false, description: 'include names starting with a dot' },
    follow: { type: 'bool', default: false, description: 'follow symlinks to directories' },
    get_checksum: { type: 'bool', default: false, description: 'add the sha1 checksum of files' },
    use_regex: { type: 'bool', default: false, description: 'patterns/excludes are Python regexes (matched at the start), not globs' },
    depth: { type: 'int', description: 'maximum depth with recurse' },
  },
  returns: { files: 'matched paths with their stat fields (path, mode, size, uid, pw_name, mtime, isdir, ...)', matched: 'how many matched', examined: 'how many entries were looked at', skipped_paths: 'paths that could not be read, with the reason', msg: "'All paths examined' or a warning" },
  run: (args, ctx) => runPython(ctx, 'find', BODY, args),
};
