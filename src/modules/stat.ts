import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** Ansible's stat, field for field (os.lstat/os.stat, access checks, checksum, file(1), lsattr), in one round trip. */
const BODY = String.raw`
FILE_ATTRIBUTES = {'A': 'noatime', 'a': 'append', 'c': 'compressed', 'C': 'nocow', 'd': 'nodump', 'D': 'dirsync',
    'e': 'extents', 'E': 'encrypted', 'h': 'blocksize', 'i': 'immutable', 'I': 'indexed', 'j': 'journalled',
    'N': 'inline', 's': 'zero', 'S': 'synchronous', 't': 'notail', 'T': 'blockroot', 'u': 'undelete',
    'X': 'compressedraw', 'Z': 'compresseddirty'}

def format_output(path, st):
    mode = st.st_mode
    out = dict(exists=True, path=path, mode='%04o' % stat.S_IMODE(mode),
        isdir=stat.S_ISDIR(mode), ischr=stat.S_ISCHR(mode), isblk=stat.S_ISBLK(mode), isreg=stat.S_ISREG(mode),
        isfifo=stat.S_ISFIFO(mode), islnk=stat.S_ISLNK(mode), issock=stat.S_ISSOCK(mode),
        uid=st.st_uid, gid=st.st_gid, size=st.st_size, inode=st.st_ino, dev=st.st_dev, nlink=st.st_nlink,
        atime=st.st_atime, mtime=st.st_mtime, ctime=st.st_ctime,
        wusr=bool(mode & stat.S_IWUSR), rusr=bool(mode & stat.S_IRUSR), xusr=bool(mode & stat.S_IXUSR),
        wgrp=bool(mode & stat.S_IWGRP), rgrp=bool(mode & stat.S_IRGRP), xgrp=bool(mode & stat.S_IXGRP),
        woth=bool(mode & stat.S_IWOTH), roth=bool(mode & stat.S_IROTH), xoth=bool(mode & stat.S_IXOTH),
        isuid=bool(mode & stat.S_ISUID), isgid=bool(mode & stat.S_ISGID))
    for attr, key in (('st_blocks', 'blocks'), ('st_blksize', 'block_size'), ('st_rdev', 'device_type'), ('st_flags', 'flags'),
                      ('st_gen', 'generation'), ('st_birthtime', 'birthtime')):
        if hasattr(st, attr):
            out[key] = getattr(st, attr)
    return out

def main():
    a = ARGS
    path = a['path']
    b_path = to_bytes(path)
    try:
        st = os.stat(b_path) if a['follow'] else os.lstat(b_path)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return {'changed': False, 'stat': {'exists': False}}
        fail(e.strerror)
    out = format_output(path, st)
    for k, m in (('readable', os.R_OK), ('writeable', os.W_OK), ('executable', os.X_OK)):
        out[k] = os.access(b_path, m)
    if out.get('islnk'):
        out['lnk_source'] = to_text(os.path.realpath(b_path))
        out['lnk_target'] = to_text(os.readlink(b_path))
    try:
        out['pw_name'] = pwd.getpwuid(st.st_uid).pw_name
    except (TypeError, KeyError):
        pass
    try:
        out['gr_name'] = grp.getgrgid(st.st_gid).gr_name
    except (KeyError, ValueError, OverflowError):
        pass
    if out.get('isreg') and out.get('readable'):
        # get_md5: kept by Ansible (undocumented since 2.9) for older content
        if a['get_md5']:
            try:
                out['md5'] = digest_file(b_path, 'md5')
            except ValueError:
                out['md5'] = None
        if a['get_checksum']:
            out['checksum'] = digest_file(b_path, a['checksum_algorithm'])
    if a['get_mime']:
        out['mimetype'] = out['charset'] = 'unknown'
        cmd = which('file')
        if cmd:
            try:
                rc, o, e = run_cmd([cmd, '--mime-type', '--mime-encoding', path])
                if rc == 0:
                    mt, cs = o.rsplit(':', 1)[1].split(';')
                    out['mimetype'] = mt.strip()
                    out['charset'] = cs.split('=')[1].strip()
            except Exception:
                pass
    if a['get_attributes']:
        out['version'] = None
        out['attributes'] = []
        out['attr_flags'] = ''
        cmd = which('lsattr')
        if cmd:
            try:
                rc, o, e = run_cmd([cmd, '-vd', path])
                if rc == 0:
                    res = o.split()
                    out['version'] = res[0].strip()
                    out['attr_flags'] = res[1].replace('-', '').strip()
                    out['attributes'] = [FILE_ATTRIBUTES[f] for f in out['attr_flags'] if f in FILE_ATTRIBUTES]
            except Exception:
                pass
    return {'changed': False, 'stat': out, '_ww_no_path_info': True}
`;

export interface StatArgs {
  path: string;
  follow: boolean;
  get_checksum: boolean;
  checksum_algorithm: 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  get_mime: boolean;
  get_attributes: boolean;
  get_md5: boolean;
}

/** stat: facts about one path (never changes anything). */
export const statModule: ModuleDef<StatArgs> = {
  name: 'stat',
  description: 'Information about a path on the host.',
  notes:
    "Ansible's module, field for field (Python on the host, one round trip). `stat` is `{exists: false}` for a missing\n" +
    'path; otherwise `exists, path, mode (\'0644\'), isdir, isreg, islnk, ischr, isblk, isfifo, issock, uid, gid, pw_name,\n' +
    'gr_name, size, inode, dev, nlink, atime, mtime, ctime (floats), blocks, block_size, device_type, readable, writeable,\n' +
    'executable, rusr..xoth, isuid, isgid`, plus `lnk_source, lnk_target` for a link, `checksum` for a readable regular\n' +
    'file (get_checksum; `md5` too with get_md5), `mimetype, charset` (get_mime, file(1); `unknown` without it) and `version, attributes,\n' +
    'attr_flags` (get_attributes, lsattr; `None, [], \'\'` where lsattr cannot tell). Never changes anything.',
  checkMode: 'full',
  argSpec: {
    path: { description: 'the path', type: 'path', required: true, aliases: ['dest', 'name'] },
    follow: { description: 'follow symlinks', type: 'bool', default: false },
    get_checksum: { description: 'compute the checksum of a readable regular file', type: 'bool', default: true },
    checksum_algorithm: { description: 'the checksum algorithm', type: 'str', default: 'sha1', choices: ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'], aliases: ['checksum', 'checksum_algo'] },
    get_mime: { description: 'mime type and charset via file(1)', type: 'bool', default: true, aliases: ['mime', 'mime_type', 'mime-type'] },
    get_attributes: { description: 'file attributes via lsattr', type: 'bool', default: true, aliases: ['attr', 'attributes'] },
    get_md5: { description: "also return `md5` of a readable regular file (Ansible's undocumented, deprecated argument, still accepted)", type: 'bool', default: false },
  },
  returns: { stat: 'the dictionary described above' },
  run: (args, ctx) => runPython(ctx, 'stat', BODY, { ...args }, { check: false }),
};
