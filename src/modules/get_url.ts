import type { ModuleDef } from './types.js';
import { FILE_COMMON_ARGS, URL_COMMON_ARGS } from './lib/common-args.js';
import { runPython } from './lib/py.js';
import { PY_HTTP } from './lib/py-http.js';

/** Download on the host (one round trip), with Ansible's get_url decisions: checksum, force, If-Modified-Since. */
const BODY = String.raw`
import datetime, hashlib, calendar
from urllib.parse import urlsplit

def url_filename(url):
    fn = os.path.basename(urlsplit(url)[2])
    return fn or 'index.html'

def header_filename(info):
    cd = info.get('content-disposition')
    if cd:
        m = re.match('attachment; ?filename="?([^"]+)', cd)
        if m:
            return os.path.basename(m.group(1))
    return None

def digest(path, algo):
    if algo not in hashlib.algorithms_available:
        fail('Could not hash file %s with algorithm %s. Available algorithms: %s' % (path, algo, ', '.join(sorted(hashlib.algorithms_available))))
    return digest_file(path, algo)

def download(url, dest, last_mod, force, method='GET'):
    a = ARGS
    start = datetime.datetime.utcnow()
    r, info = fetch_url(url, headers=a.get('headers'), method=method, timeout=a['timeout'], force=force, last_mod_time=last_mod)
    elapsed = (datetime.datetime.utcnow() - start).seconds
    if info['status'] == 304:
        raise Done({'url': url, 'dest': dest, 'changed': False, 'msg': info.get('msg', ''), 'status_code': 304, 'elapsed': elapsed})
    if info['status'] == -1:
        fail(info['msg'], url=url, dest=dest, elapsed=elapsed)
    if info['status'] != 200 and not url.startswith('file:/'):
        fail('Request failed', status_code=info['status'], response=info['msg'], url=url, dest=dest, elapsed=elapsed)
    tmp_dir = a.get('tmp_dest')
    if tmp_dir:
        if not os.path.isdir(tmp_dir):
            fail(('%s is a file but should be a directory.' if os.path.exists(tmp_dir) else '%s directory does not exist.') % tmp_dir, elapsed=elapsed)
    else:
        tmp_dir = os.path.dirname(dest) if os.path.isdir(os.path.dirname(dest) or '/') and not os.path.isdir(dest) else (dest if os.path.isdir(dest) else None)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix='.ww-get_url-')
    with os.fdopen(fd, 'wb') as f:
        shutil.copyfileobj(r, f)
    r.close()
    return tmp, info

def main():
    a = ARGS
    url, dest, force = a['url'], a['dest'], a['force']
    checksum = a['checksum']
    res = {'changed': False, 'checksum_dest': None, 'checksum_src': None, 'dest': dest, 'elapsed': 0, 'url': url}
    dest_is_dir = os.path.isdir(dest)
    last_mod = None
    algo = None
    if checksum:
        try:
            algo, checksum = checksum.split(':', 1)
        except ValueError:
            fail('The checksum parameter has to be in format <algorithm>:<checksum>', **res)
        if urlsplit(checksum).scheme in ('http', 'https', 'ftp', 'file'):
            ck_url = checksum
            tmp, _ = download(ck_url, dest, None, force)
            with open(tmp) as f:
                lines = [l.rstrip('\n') for l in f]
            os.remove(tmp)
            fname = url_filename(url)
            pairs = []
            if len(lines) == 1 and len(lines[0].split()) == 1:
                pairs.append((lines[0], fname))
            else:
                for l in lines:
                    p = l.split(' ', 1)
                    if len(p) == 2:
                        if p[1].startswith((' ', '*')):
                            p[1] = p[1][1:]
                        pairs.append((p[0], p[1].lstrip('./')))
            found = [s for s, f in pairs if f == fname]
            if not found:
                fail("Unable to find a checksum for file '%s' in '%s'" % (fname, ck_url))
            checksum = found[0]
        checksum = re.sub(r'\W+', '', checksum).lower()
        try:
            int(checksum, 16)
        except ValueError:
            fail('The checksum format is invalid', **res)
    if not dest_is_dir and os.path.exists(dest):
        mismatch = False
        if not force and checksum:
            if digest(dest, algo) != checksum:
                mismatch = True
        if not force and checksum and not mismatch:
            res['changed'] = set_attrs(dest, a.get('mode'), a.get('owner'), a.get('group'), CHECK, attributes=a.get('attributes'))
            res['msg'] = 'file already exists but file attributes changed' if res['changed'] else 'file already exists'
            return res
        last_mod = os.path.getmtime(dest)
        if mismatch:
            force = True
    start = datetime.datetime.utcnow()
    tmp, info = download(url, dest, last_mod, force, 'HEAD' if CHECK else 'GET')
    res['elapsed'] = (datetime.datetime.utcnow() - start).seconds
    res['src'] = tmp
    if dest_is_dir:
        dest = os.path.join(dest, header_filename(info) or url_filename(info['url']))
        res['dest'] = dest
    res['checksum_src'] = sha1_file(tmp)
    if os.path.exists(dest):
        if not os.access(dest, os.W_OK):
            os.remove(tmp)
            fail('Destination %s is not writable' % dest, **res)
        res['checksum_dest'] = sha1_file(dest)
    else:
        d = os.path.dirname(dest)
        if not os.path.exists(d):
            os.remove(tmp)
            fail('Destination %s does not exist' % d, **res)
        if not os.access(d, os.W_OK):
            os.remove(tmp)
            fail('Destination %s is not writable' % d, **res)
    if CHECK:
        os.remove(tmp)
        res['changed'] = res['checksum_src'] != res['checksum_dest']
        res['msg'] = info.get('msg', '')
        return res
    backup = None
    if res['checksum_src'] != res['checksum_dest']:
        if a['backup'] and os.path.exists(dest):
            backup = backup_local(dest)
        st = os.stat(dest) if os.path.exists(dest) else None
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            os.chown(tmp, st.st_uid, st.st_gid)
        else:
            um = os.umask(0); os.umask(um)
            os.chmod(tmp, 0o666 & ~um)
        os.rename(tmp, dest)
        res['changed'] = True
    else:
        os.remove(tmp)
    if checksum:
        got = digest(dest, algo)
        if got != checksum:
            os.remove(dest)
            fail('The checksum for %s did not match %s; it was %s.' % (dest, checksum, got), **res)
    if set_attrs(dest, a.get('mode'), a.get('owner'), a.get('group'), False, attributes=a.get('attributes')):
        res['changed'] = True
    res['md5sum'] = digest_file(dest, 'md5')
    if backup:
        res['backup_file'] = backup
    res['msg'] = info.get('msg', '')
    res['status_code'] = info.get('status', '')
    return res
`;

export const getUrlModule: ModuleDef = {
  name: 'get_url',
  description: 'Download a file over HTTP(S)/FTP on the host, with checksum, If-Modified-Since, mode and owner.',
  checkMode: 'full',
  argSpec: {
    url: { type: 'str', required: true, description: 'http, https, ftp or file URL' },
    dest: { type: 'path', required: true, description: 'file (or directory: the name from the response or the URL) to write' },
    checksum: { type: 'str', default: '', description: "'<algorithm>:<hex>' or '<algorithm>:<URL of a checksum file>'; an existing dest that matches is not downloaded" },
    force: { type: 'bool', default: false, description: 'download even when dest exists (otherwise If-Modified-Since)' },
    backup: { type: 'bool', default: false, description: 'keep a timestamped copy of the old file' },
    timeout: { type: 'int', default: 10, description: 'seconds for the request' },
    headers: { type: 'dict', description: 'extra request headers' },
    url_username: { type: 'str', aliases: ['username'], description: 'basic auth user' },
    url_password: { type: 'str', aliases: ['password'], no_log: true, description: 'basic auth password' },
    tmp_dest: { type: 'path', description: 'directory for the download before it is moved (default: next to dest)' },
    ...URL_COMMON_ARGS,
    ...FILE_COMMON_ARGS,
  },
  returns: {
    changed: 'whether dest or its attributes changed', dest: 'the file written', url: 'the URL', checksum_src: 'sha1 of the download', checksum_dest: 'sha1 of dest before',
    md5sum: 'md5 of dest', msg: "'OK (N bytes)', 'file already exists', 'HTTP Error 304: Not Modified'", status_code: 'HTTP status', elapsed: 'seconds', backup_file: 'the backup, when made',
    'owner, group, mode, uid, gid, size, state': 'dest attributes',
  },
  run: (args, ctx) => runPython(ctx, 'get_url', `${PY_HTTP}\n${BODY}`, args, { timeoutMs: (Number(args.timeout) * 3 + 60) * 1000 }),
};
