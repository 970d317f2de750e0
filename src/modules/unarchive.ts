import { readFile, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { ModuleDef, ModuleResult } from './types.js';
import { FILE_COMMON_ARGS } from './lib/common-args.js';
import { runPython } from './lib/py.js';
import { PY_HTTP } from './lib/py-http.js';

/** Controller archives up to this size travel inside the one round trip (base64 in the JSON). */
const INLINE_LIMIT = 8 * 1024 * 1024;

/**
 * GNU tar and unzip do the work, as in Ansible: handlers tried in Ansible's order (zip, then tar
 * with -z, then plain tar, which reads any compression), `tar --diff` decides "already unarchived".
 */
const BODY = String.raw`
import fnmatch, zipfile, binascii, codecs

OWNER_DIFF_RE = re.compile(r': Uid differs$')
GROUP_DIFF_RE = re.compile(r': Gid differs$')
MODE_DIFF_RE = re.compile(r': Mode differs$')
MOD_TIME_DIFF_RE = re.compile(r': Mod time differs$')
EMPTY_FILE_RE = re.compile(r': : Warning: Cannot stat: No such file or directory$')
MISSING_FILE_RE = re.compile(r': Warning: Cannot stat: No such file or directory$')
INVALID_OWNER_RE = re.compile(r': Invalid owner')
INVALID_GROUP_RE = re.compile(r': Invalid group')
C_ENV = {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C', 'LANGUAGE': 'C'}

class Skip(Exception):
    pass

class ZipArchive(object):
    def __init__(self, src, dest):
        self.src, self.dest = src, dest
        self.excludes = ARGS['exclude']
        self.includes = ARGS['include']
        self.files = []
    def can_handle(self):
        self.unzip = which('unzip')
        if not which('unzip') or not which('zipinfo'):
            return False
        try:
            with zipfile.ZipFile(self.src) as z:
                for m in z.namelist():
                    if self.includes and not any(fnmatch.fnmatch(m, i) for i in self.includes):
                        continue
                    if any(fnmatch.fnmatch(m, e) for e in self.excludes):
                        continue
                    self.files.append(m)
        except (zipfile.BadZipfile, IOError, OSError):
            return False
        return True
    def is_unarchived(self):
        with zipfile.ZipFile(self.src) as z:
            for m in self.files:
                info = z.getinfo(m)
                p = os.path.join(self.dest, m)
                if m.endswith('/'):
                    if not os.path.isdir(p):
                        return {'unarchived': False}
                    continue
                if not os.path.isfile(p) or os.path.getsize(p) != info.file_size:
                    return {'unarchived': False}
                crc = 0
                with open(p, 'rb') as f:
                    for b in iter(lambda: f.read(65536), b''):
                        crc = binascii.crc32(b, crc)
                if (crc & 0xffffffff) != info.CRC:
                    return {'unarchived': False}
                want = (info.external_attr >> 16) & 0o7777
                if want and not ARGS.get('mode') and stat.S_IMODE(os.stat(p).st_mode) != want:
                    return {'unarchived': False}
        return {'unarchived': True}
    def unarchive(self):
        cmd = [self.unzip, '-o'] + ARGS['extra_opts'] + [self.src]
        if self.excludes:
            cmd += ['-x'] + self.excludes
        cmd += ARGS['include'] + ['-d', self.dest]
        rc, out, err = run_cmd(cmd)
        return {'cmd': cmd, 'rc': rc, 'out': out, 'err': err}

class TgzArchive(object):
    zipflag = '-z'
    def __init__(self, src, dest):
        self.src, self.dest = src, dest
        if CHECK:
            raise Skip()
        self.excludes = [p.rstrip('/') for p in ARGS['exclude']]
        self.files = []
    def args(self, op, extra=()):
        cmd = [self.tar, op, '-C', self.dest]
        if self.zipflag:
            cmd.append(self.zipflag)
        if ARGS['extra_opts']:
            cmd += ['--show-transformed-names'] + ARGS['extra_opts']
        cmd += list(extra)
        if self.excludes:
            cmd += ['--exclude=' + f for f in self.excludes]
        return cmd + ['-f', self.src] + ARGS['include']
    def can_handle(self):
        self.tar = which('gtar') or which('tar')
        if not self.tar:
            return False
        rc, out, err = run_cmd([self.tar, '--version'])
        if not (out.startswith('tar') and 'GNU' in out):
            return False
        rc, out, err = run_cmd(self.args('--list'), cwd=self.dest, env=C_ENV)
        if rc != 0:
            return False
        for name in out.splitlines():
            name = codecs.escape_decode(name)[0].decode('utf-8', 'surrogateescape')
            if name.startswith('/'):
                name = name[1:]
            if not any(fnmatch.fnmatch(name, e) for e in self.excludes):
                self.files.append(name)
        return bool(self.files)
    def owner_opts(self):
        o = []
        if ARGS.get('owner'):
            o.append('--owner=' + ARGS['owner'])
        if ARGS.get('group'):
            o.append('--group=' + ARGS['group'])
        if ARGS['keep_newer']:
            o.append('--keep-newer-files')
        return o
    def is_unarchived(self):
        rc, out, err = run_cmd(self.args('--diff', self.owner_opts()), cwd=self.dest, env=C_ENV)
        diffs = ''
        root = os.getuid() == 0
        for line in out.splitlines() + err.splitlines():
            if EMPTY_FILE_RE.search(line):
                continue
            if (root and not ARGS.get('owner') and OWNER_DIFF_RE.search(line)) or (root and not ARGS.get('group') and GROUP_DIFF_RE.search(line)) \
               or (not ARGS.get('mode') and MODE_DIFF_RE.search(line)) or MOD_TIME_DIFF_RE.search(line) or MISSING_FILE_RE.search(line) \
               or INVALID_OWNER_RE.search(line) or INVALID_GROUP_RE.search(line):
                diffs += line + '\n'
        return {'unarchived': not diffs}
    def unarchive(self):
        cmd = self.args('--extract', self.owner_opts())
        rc, out, err = run_cmd(cmd, cwd=self.dest, env=C_ENV)
        return {'cmd': cmd, 'rc': rc, 'out': out, 'err': err}

class TarArchive(TgzArchive):
    zipflag = ''

def main():
    a = ARGS
    src, dest = a['src'], a['dest']
    if a.get('_inline') is not None:
        import base64
        fd, src = tempfile.mkstemp(prefix='.ww-unarchive-', suffix=os.path.basename(a['_name']))
        with os.fdopen(fd, 'wb') as f:
            f.write(base64.b64decode(a['_inline']))
        CLEANUP.append(src)
    if not os.path.exists(src):
        if not a['remote_src']:
            fail("Source '%s' failed to transfer" % src)
        elif '://' in src:
            r, info = fetch_url(src, timeout=10)
            if info['status'] != 200:
                fail('Failure downloading %s, %s' % (src, info['msg']))
            fd, tmp = tempfile.mkstemp(prefix='.ww-unarchive-', suffix=os.path.basename(src.split('?')[0]))
            with os.fdopen(fd, 'wb') as f:
                shutil.copyfileobj(r, f)
            CLEANUP.append(tmp)
            src = tmp
        else:
            fail("Source '%s' does not exist" % src)
    if not os.access(src, os.R_OK):
        fail("Source '%s' not readable" % src)
    if os.path.getsize(src) == 0:
        fail("Invalid archive '%s', the file is 0 bytes" % src)
    if not os.path.isdir(dest):
        fail("dest '%s' must be an existing dir" % dest)
    handler = None
    try:
        for cls in (ZipArchive, TgzArchive, TarArchive):
            h = cls(src, dest)
            if h.can_handle():
                handler = h
                break
    except Skip:
        return {'changed': False, 'skipped': True, 'msg': 'remote module (unarchive) does not support check mode when using gtar', '_ww_no_path_info': True}
    if handler is None:
        fail('Failed to find handler for "%s". Make sure the required command to extract the file is installed.' % src)
    res = {'handler': handler.__class__.__name__, 'dest': dest, 'src': a['_display_src'] or src}
    check = handler.is_unarchived()
    if CHECK:
        res['changed'] = not check['unarchived']
    elif check['unarchived']:
        res['changed'] = False
    else:
        res['extract_results'] = handler.unarchive()
        if res['extract_results']['rc'] != 0:
            fail('failed to unpack %s to %s' % (src, dest), **res)
        res['changed'] = True
    if not CHECK:
        tops = []
        for name in handler.files:
            p = os.path.join(dest, name)
            if os.path.lexists(p) and set_attrs(p, a.get('mode'), a.get('owner'), a.get('group'), False, follow=False, attributes=a.get('attributes')):
                res['changed'] = True
            if '/' in name and name.split('/')[0] not in tops:
                tops.append(name.split('/')[0])
        for t in tops:
            p = os.path.join(dest, t)
            if os.path.lexists(p) and set_attrs(p, a.get('mode'), a.get('owner'), a.get('group'), False, follow=False, attributes=a.get('attributes')):
                res['changed'] = True
    if a['list_files']:
        res['files'] = handler.files
    return res

CLEANUP = []
_ww_main = main
def main():
    try:
        return _ww_main()
    finally:
        for p in CLEANUP:
            try:
                os.unlink(p)
            except OSError:
                pass
`;

export const unarchiveModule: ModuleDef<Record<string, any>> = {
  name: 'unarchive',
  description: 'Unpack a .tar(.gz/.xz/.bz2) or .zip archive (from the controller, the host, or a URL) into an existing directory.',
  notes:
    'GNU tar and unzip do the work, as in Ansible; a tar archive is "already unarchived" when `tar --diff` finds nothing.\n' +
    'In check mode a tar archive is skipped (as in Ansible, which cannot check with gtar); a zip archive is compared.\n' +
    'A controller archive up to 8 MiB travels inside the one round trip; a larger one is copied first.',
  checkMode: 'partial',
  argSpec: {
    src: { type: 'str', required: true, description: 'archive on the controller (role files/, playbook dir), or on the host with remote_src (may be a URL)' },
    dest: { type: 'path', required: true, description: 'existing directory to unpack into' },
    remote_src: { type: 'bool', default: false, description: 'src is on the host (or a URL it downloads)' },
    copy: { type: 'bool', default: true, description: 'deprecated opposite of remote_src' },
    creates: { type: 'path', description: 'skip when this path exists on the host' },
    list_files: { type: 'bool', default: false, description: 'return the archive\'s file list as files' },
    keep_newer: { type: 'bool', default: false, description: 'do not replace files newer than the archive\'s (tar)' },
    exclude: { type: 'list', elements: 'str', default: [], description: 'archive members to leave out' },
    include: { type: 'list', elements: 'str', default: [], description: 'only these archive members' },
    extra_opts: { type: 'list', elements: 'str', default: [], description: 'extra options for tar/unzip (e.g. --strip-components=1)' },
    validate_certs: { type: 'bool', default: true, description: 'check the certificate of an https src' },
    io_buffer_size: { type: 'int', default: 65536, description: 'accepted for compatibility' },
    decrypt: { type: 'bool', default: true, description: 'accepted; vault-encrypted archives are not supported' },
    ...FILE_COMMON_ARGS,
  },
  mutuallyExclusive: [['include', 'exclude']],
  returns: { handler: 'TgzArchive, TarArchive or ZipArchive', dest: 'the directory', src: 'the archive', extract_results: 'cmd, rc, out, err of the extraction', files: 'list_files: the members', 'owner, group, mode, state': 'dest attributes' },
  async run(args, ctx): Promise<ModuleResult> {
    const a: Record<string, any> = { ...args, _display_src: null };
    const remote = a.remote_src || a.copy === false;
    a.remote_src = remote;
    if (a.creates) {
      const r = await runPython(ctx, 'unarchive', 'def main():\n    return {"exists": os.path.exists(ARGS["p"]), "_ww_no_path_info": True}\n', { p: a.creates }, { check: false });
      if (r.exists) return { changed: false, skipped: true, msg: `skipped, since ${a.creates} exists` };
    }
    if (!remote) {
      let local: string;
      try {
        local = ctx.findFile('files', a.src);
      } catch (e) {
        return { changed: false, failed: true, msg: `Could not find or access '${a.src}': ${(e as Error).message}` };
      }
      const size = (await stat(local)).size;
      a._name = local;
      if (size <= INLINE_LIMIT) {
        a._inline = (await readFile(local)).toString('base64');
        a.src = `${local} (sent inline)`;
        a._display_src = local;
      } else {
        const tmp = `/tmp/.ww-unarchive-${randomBytes(6).toString('hex')}-${local.split('/').pop()}`;
        await ctx.conn.put(await readFile(local), tmp, { become: ctx.become, mode: 0o600 });
        a.src = tmp;
        try {
          return await runPython(ctx, 'unarchive', `${PY_HTTP}\n${BODY}\nCLEANUP.append(ARGS['src'])\n`, a);
        } finally {
          /* removed by the program itself */
        }
      }
    }
    return runPython(ctx, 'unarchive', `${PY_HTTP}\n${BODY}`, a);
  },
};
