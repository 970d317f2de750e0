import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/**
 * ansible.builtin.deb822_repository (ansible-core 2.15+): /etc/apt/sources.list.d/SLUG.sources in
 * deb822 form, the fields in the order the task gives them (defaults last), and a signed_by key
 * given as a URL written to /etc/apt/keyrings/SLUG.asc|gpg. Ported from ansible-core 2.16's module
 * and compared with it (test/integration/deb822-oracle.test.ts); python3-debian is not needed: the
 * one-paragraph deb822 text is composed here as Deb822.dump writes it. One round trip, atomic writes.
 */
const BODY = String.raw`
import textwrap
KEYRINGS_DIR = '/etc/apt/keyrings'

def sha256(path):
    return digest_file(path, 'sha256') if os.path.isfile(path) else None

def ensure_keyrings_dir():
    changed = False
    if not os.path.isdir(KEYRINGS_DIR):
        if not CHECK:
            os.mkdir(KEYRINGS_DIR, 0o755)
        changed = True
    if os.path.isdir(KEYRINGS_DIR):
        changed = set_attrs(KEYRINGS_DIR, '0755', 'root', 'root', CHECK) or changed
    return changed

def keyring_name(slug, ext):
    return os.path.join(KEYRINGS_DIR, '%s.%s' % (slug, ext))

def format_multiline(v):
    return '\n' + textwrap.indent('\n'.join(line.strip() or '.' for line in v.strip().splitlines()), '    ')

def field_name(v):
    if v == 'name':
        return 'X-Repolib-Name'
    if v == 'uris':
        return 'URIs'
    return v.replace('_', '-').title()

def mode_differs(path, mode):
    if not os.path.exists(path):
        return CHECK
    return set_attrs(path, mode, None, None, CHECK)

def write_signed_by_key(v, slug):
    if os.path.isfile(v):
        return False, v, None
    from urllib.parse import urlparse
    if not urlparse(v).scheme:
        return False, None, v
    # Ansible's open_url: urllib's redirects and proxies, 10 s, its user agent; the error's own text
    import urllib.request
    try:
        data = urllib.request.urlopen(urllib.request.Request(v, headers={'User-Agent': 'ansible-httpget'}), timeout=10).read()
    except Exception as e:
        raise RuntimeError(str(e))
    if not data:
        return False, v, None
    ext = 'asc' if b'-----BEGIN PGP PUBLIC KEY BLOCK-----' in data else 'gpg'
    filename = keyring_name(slug, ext)
    changed = False
    import hashlib
    if hashlib.sha256(data).hexdigest() != sha256(filename):
        changed = ensure_keyrings_dir() or changed
        if not CHECK:
            atomic_write(filename, data)
        changed = True
    changed = mode_differs(filename, 0o644) or changed
    return changed, filename, None

def main():
    p = dict(ARGS)
    mode = p.pop('mode')
    state = p.pop('state')
    name = p['name']
    slug = re.sub(r'[^a-z0-9-]+', '', re.sub(r'[_\s]+', '-', name.lower()))
    dest = os.path.join('/etc/apt/sources.list.d', '%s.sources' % slug)
    changed = False
    if state == 'absent':
        if os.path.exists(dest):
            if not CHECK:
                os.unlink(dest)
            changed = True
        for ext in ('asc', 'gpg'):
            kf = keyring_name(slug, ext)
            if os.path.exists(kf):
                if not CHECK:
                    os.unlink(kf)
                changed = True
        return {'repo': None, 'changed': changed, 'dest': dest, 'key_filename': kf}
    lines = []
    key_filename = None
    # Ansible's order: the task's own arguments as given, then defaults (types) in argument-spec order
    for key, value in p.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = 'yes' if value else 'no'
        elif isinstance(value, int):
            value = str(value)
        elif isinstance(value, list):
            value = ' '.join(value)
        elif key == 'signed_by':
            try:
                kc, key_filename, data = write_signed_by_key(value, slug)
            except RuntimeError as e:
                fail('Could not fetch signed_by key: %s' % e)
            value = key_filename or data
            changed = kc or changed
        if value.count('\n') > 0:
            value = format_multiline(value)
        f = field_name(key)
        lines.append(('%s:%s\n' if (not value or value[0] == '\n') else '%s: %s\n') % (f, value))
    repo = ''.join(lines)
    import hashlib
    if hashlib.sha256(repo.encode('utf-8')).hexdigest() != sha256(dest):
        if not CHECK:
            atomic_write(dest, repo.encode('utf-8'))
        changed = True
    changed = mode_differs(dest, mode) or changed
    return {'repo': repo, 'changed': changed, 'dest': dest, 'key_filename': key_filename}
`;

const bool = (description: string) => ({ type: 'bool' as const, description });
const list = (description: string) => ({ type: 'list' as const, elements: 'str' as const, description });

export const deb822RepositoryModule: ModuleDef = {
  name: 'deb822_repository',
  description: 'Add or remove an APT repository in deb822 form (/etc/apt/sources.list.d/NAME.sources), with its signing key.',
  notes:
    "As ansible-core 2.15+'s module: the file is named from `name` (lower case, `_`/spaces to `-`, other characters dropped), fields are written in the order the task gives the arguments (`types` last when left to its default), a `signed_by` URL is fetched (by the host) into /etc/apt/keyrings/NAME.asc or .gpg, an existing file path or fingerprints are written as given, key text as an indented block. Difference: python3-debian is not needed on the host. Oracle-tested against ansible-core 2.16 run from source. The cache is not updated (as in Ansible: use apt update_cache).",
  checkMode: 'full',
  argSpec: {
    name: { type: 'str', required: true, description: 'the repository name: X-Repolib-Name and the file names' },
    types: { type: 'list', elements: 'str', default: ['deb'], choices: ['deb', 'deb-src'], description: 'deb and/or deb-src' },
    uris: list('the archive URIs'),
    suites: list('suites (codenames) or an exact path ending in /'),
    components: list('components (main, contrib...)'),
    signed_by: { type: 'str', description: 'a key URL (fetched into /etc/apt/keyrings), a keyring path, fingerprints or an armored key block' },
    architectures: list('architectures'),
    languages: list('languages'),
    targets: list('download targets'),
    enabled: bool('Enabled: yes/no'),
    trusted: bool('Trusted: yes/no'),
    allow_insecure: bool('Allow-Insecure'),
    allow_weak: bool('Allow-Weak'),
    allow_downgrade_to_insecure: bool('Allow-Downgrade-To-Insecure'),
    by_hash: bool('By-Hash'),
    check_date: bool('Check-Date'),
    check_valid_until: bool('Check-Valid-Until'),
    date_max_future: { type: 'int', description: 'Date-Max-Future (s)' },
    inrelease_path: { type: 'str', description: 'Inrelease-Path' },
    pdiffs: bool('Pdiffs'),
    mode: { type: 'raw', default: '0644', description: 'the mode of the .sources file' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], description: 'absent removes the .sources file and the NAME.asc/.gpg key' },
  },
  returns: { repo: 'the deb822 text written (null when absent)', dest: 'the .sources file', key_filename: 'the key file, when signed_by was a URL' },
  run: (args, ctx) => runPython(ctx, 'deb822_repository', BODY, args),
};
