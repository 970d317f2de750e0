import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';
import { PY_HTTP } from './lib/py-http.js';

/**
 * ansible.builtin.apt_key: add or remove a key in APT's keyring (or a given keyring file) with
 * apt-key and gpg, as ansible-core 2.14 does; the key comes from id+keyserver, a URL (fetched on
 * the host), a file on the host or inline data. One round trip.
 */
const BODY = String.raw`
def lang_env():
    return {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C'}

def parse_key_id(key_id):
    int(key_id, 16)
    key_id = key_id.upper()
    if key_id.startswith('0X'):
        key_id = key_id[2:]
    n = len(key_id)
    if (n != 8 and n != 16) and n <= 16:
        raise ValueError('key_id must be 8, 16, or 16+ hexadecimal characters in length')
    short = key_id[-8:]
    fp = key_id
    if n > 16:
        fp = key_id[-16:]
    return short, fp, key_id

def parse_keys(output, short_format=False):
    found = []
    for line in output.split('\n'):
        if (line.startswith('pub') or line.startswith('sub')) and 'expired' not in line:
            try:
                tokens = line.split()
                code = tokens[1]
                (len_type, real) = code.split('/')
            except (IndexError, ValueError):
                try:
                    real = line.split(':')[4]
                except (IndexError, ValueError):
                    continue
            found.append(real)
    if found and short_format:
        found = [k[-8:] for k in found]
    return found

def keyring_args(keyring):
    return ['--keyring', keyring] if keyring else []

def all_keys(apt_key, keyring, short_format):
    if CHECK and keyring and not os.path.exists(keyring):
        # listing creates an empty keyring file; check mode changes nothing
        return []
    cmd = [apt_key] + keyring_args(keyring) + ['adv', '--list-public-keys', '--keyid-format=long']
    rc, out, err = run_cmd(cmd)
    if rc != 0:
        fail('Unable to list public keys', cmd=' '.join(cmd), rc=rc, stdout=out, stderr=err)
    return parse_keys(out, short_format)

def download(url):
    rsp, info = fetch_url(url, timeout=10)
    if info['status'] != 200:
        fail('Failed to download key at %s: %s' % (url, info['msg']))
    try:
        return rsp.read()
    except Exception as e:
        fail('error getting key id from url: %s' % url, traceback=str(e))

def key_id_of(gpg, filename, data=None):
    rc, out, err = run_cmd([gpg, '--with-colons', filename], data=data, env=lang_env())
    if rc != 0:
        fail("Unable to extract key from '%s'" % ('inline data' if data is not None else filename), stdout=out, stderr=err)
    keys = parse_keys(out)
    return keys[0] if keys else None

def add_key(apt_key, keyfile, keyring, data=None):
    if data is not None:
        cmd = [apt_key] + keyring_args(keyring) + ['add', '-']
        rc, out, err = run_cmd(cmd, data=data)
        if rc != 0:
            fail('Unable to add a key from binary data', cmd=' '.join(cmd), rc=rc, stdout=out, stderr=err)
    else:
        cmd = [apt_key] + keyring_args(keyring) + ['add', keyfile]
        rc, out, err = run_cmd(cmd)
        if rc != 0:
            fail('Unable to add a key from file %s' % keyfile, cmd=' '.join(cmd), rc=rc, keyfile=keyfile, stdout=out, stderr=err)

def import_key(apt_key, keyring, keyserver, key_id):
    cmd = [apt_key] + keyring_args(keyring) + ['adv', '--no-tty', '--keyserver', keyserver]
    for var in ('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'):
        if os.environ.get(var):
            cmd += ['--keyserver-options', 'http-proxy=%s' % os.environ[var]]
            break
    cmd += ['--recv', key_id]
    for attempt in range(5):
        rc, out, err = run_cmd(cmd, env=lang_env())
        if rc == 0:
            return
    if rc == 2 and 'not found on keyserver' in out:
        fail('Key %s not found on keyserver %s' % (key_id, keyserver), cmd=' '.join(cmd), forced_environment=lang_env())
    fail('Error fetching key %s from keyserver: %s' % (key_id, keyserver), cmd=' '.join(cmd), forced_environment=lang_env(), rc=rc, stdout=out, stderr=err)

def main():
    a = ARGS
    key_id, url, data, filename, keyring, state, keyserver = a.get('id'), a.get('url'), a.get('data'), a.get('file'), a.get('keyring'), a['state'], a.get('keyserver')
    apt_key = which('apt-key')
    if not apt_key:
        fail('Failed to find required executable "apt-key" in paths: %s' % os.environ.get('PATH', ''))
    gpg = which('gpg')
    if not gpg:
        fail('Failed to find required executable "gpg" in paths: %s' % os.environ.get('PATH', ''))
    no_error = 'apt-key did not return an error, but %s (check that the id is correct and *not* a subkey)'
    r = {'changed': False}
    if not key_id:
        if keyserver:
            fail('Missing key_id, required with keyserver.')
        if url:
            data = download(url)
        if filename:
            key_id = key_id_of(gpg, filename)
        elif data:
            key_id = key_id_of(gpg, '-', to_bytes(data))
    r['id'] = key_id
    try:
        short_id, fp, key_id = parse_key_id(key_id or '')
        r['short_id'], r['fp'], r['key_id'] = short_id, fp, key_id
    except (ValueError, TypeError):
        fail('Invalid key_id', **r)
    short_format = len(key_id) == 8
    r['before'] = keys = all_keys(apt_key, keyring, short_format)
    def has(ks):
        return (short_id in ks) if short_format else (fp in ks)
    if state == 'present':
        if not has(keys):
            r['changed'] = True
            if not CHECK:
                if filename:
                    add_key(apt_key, filename, keyring)
                elif keyserver:
                    import_key(apt_key, keyring, keyserver, key_id)
                elif data:
                    add_key(apt_key, '-', keyring, to_bytes(data))
                elif url:
                    add_key(apt_key, '-', keyring, download(url))
                else:
                    fail('No key to add ... how did i get here?!?!', **r)
                r['after'] = keys2 = all_keys(apt_key, keyring, short_format)
                if not has(keys2):
                    fail(no_error % 'failed to add the key', **r)
    else:
        if fp in keys:
            r['changed'] = True
            if not CHECK:
                cmd = [apt_key] + keyring_args(keyring) + ['del', short_id]
                rc, out, err = run_cmd(cmd)
                if rc != 0:
                    fail('Unable to remove a key with id %s' % short_id, cmd=' '.join(cmd), rc=rc, key_id=short_id, stdout=out, stderr=err)
                r['after'] = keys2 = all_keys(apt_key, keyring, short_format)
                if fp in keys2:
                    fail(no_error % 'the key was not removed', **r)
    r['_ww_no_path_info'] = True
    return r
`;

export const aptKeyModule: ModuleDef = {
  name: 'apt_key',
  description: "Add or remove a key in APT's keyring (apt-key): by id from a keyserver, from a URL, a file on the host or inline data.",
  notes:
    'Runs apt-key and gpg on the host as ansible-core does (apt-key is deprecated by Debian; prefer a keyring file in /etc/apt/keyrings and `signed-by`). A URL is fetched by the host itself. Difference: in check mode a `keyring` file that does not exist is not created (the listing by apt-key in Ansible leaves it empty).',
  checkMode: 'full',
  argSpec: {
    id: { type: 'str', description: 'the key id (8, 16 or more hex digits); read from the key when omitted' },
    url: { type: 'str', description: 'a URL serving the key' },
    data: { type: 'str', description: 'the key itself (armored or binary)' },
    file: { type: 'path', description: 'a key file on the host' },
    keyring: { type: 'path', description: 'the keyring file to use instead of the default (e.g. /etc/apt/trusted.gpg.d/NAME.gpg)' },
    validate_certs: { type: 'bool', default: true, description: 'check the certificate of an https URL' },
    keyserver: { type: 'str', description: 'a keyserver to fetch the key `id` from' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'whether the key is there' },
  },
  mutuallyExclusive: [['data', 'file', 'keyserver', 'url']],
  returns: {
    id: 'the id as given or read from the key',
    key_id: 'the id, upper case, without 0x',
    short_id: 'its last 8 digits',
    fp: 'its last 16 digits',
    before: 'the key ids in the keyring before',
    after: 'the key ids after a change',
  },
  run: (args, ctx) => runPython(ctx, 'apt_key', `${PY_HTTP}\n${BODY}`, { use_proxy: true, ...args }, { timeoutMs: 10 * 60_000 }),
};
