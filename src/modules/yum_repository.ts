import type { ArgSpec, ModuleDef } from './types.js';
import { runPython } from './lib/py.js';
import { FILE_COMMON_ARGS } from './lib/common-args.js';

/**
 * ansible.builtin.yum_repository: one [repoid] section of REPOSDIR/FILE.repo (INI), written as
 * ansible-core 2.14 writes it (Python's configparser layout, options sorted, booleans as 0/1,
 * baseurl/gpgkey lists on continuation lines); no yum or dnf needed. One round trip, atomic write.
 */
const ALLOWED = [
  'async', 'bandwidth', 'baseurl', 'cost', 'deltarpm_metadata_percentage', 'deltarpm_percentage', 'enabled',
  'enablegroups', 'exclude', 'failovermethod', 'gpgcakey', 'gpgcheck', 'gpgkey', 'module_hotfixes', 'http_caching',
  'include', 'includepkgs', 'ip_resolve', 'keepalive', 'keepcache', 'metadata_expire', 'metadata_expire_filter',
  'metalink', 'mirrorlist', 'mirrorlist_expire', 'name', 'password', 'priority', 'protect', 'proxy', 'proxy_password',
  'proxy_username', 'repo_gpgcheck', 'retries', 's3_enabled', 'skip_if_unavailable', 'sslcacert',
  'ssl_check_cert_permissions', 'sslclientcert', 'sslclientkey', 'sslverify', 'throttle', 'timeout', 'ui_repoid_vars',
  'username',
];

const BODY = String.raw`
import configparser

ALLOWED = ${JSON.stringify(ALLOWED)}
LISTS = ['exclude', 'includepkgs']

def dump(cp):
    s = ''
    for section in sorted(cp.sections()):
        s += '[%s]\n' % section
        for k, v in sorted(cp.items(section)):
            s += '%s = %s\n' % (k, v)
        s += '\n'
    return s

def main():
    p = dict(ARGS)
    if p.get('params'):
        fail("The params option to yum_repository was removed in Ansible 2.5 since it circumvents Ansible's option handling")
    name, state = p['name'], p['state']
    if state == 'present':
        if p.get('baseurl') is None and p.get('metalink') is None and p.get('mirrorlist') is None:
            fail("Parameter 'baseurl', 'metalink' or 'mirrorlist' is required.")
        if p.get('description') is None:
            fail("Parameter 'description' is required.")
    p['repoid'] = p['name']
    p['name'] = p.pop('description', None)
    for k in ('baseurl', 'gpgkey'):
        if p.get(k) is not None:
            p[k] = '\n'.join(p[k])
    if p.get('file') is None:
        p['file'] = p['repoid']
    if not os.path.isdir(p['reposdir']):
        fail("Repo directory '%s' does not exist." % p['reposdir'])
    dest = os.path.join(p['reposdir'], '%s.repo' % p['file'])
    cp = configparser.RawConfigParser()
    if os.path.isfile(dest):
        cp.read(dest)
    diff = {'before_header': dest, 'before': dump(cp), 'after_header': dest, 'after': ''}
    section = p['repoid']
    if cp.has_section(section):
        cp.remove_section(section)
    if state == 'present':
        cp.add_section(section)
        for k, v in sorted(p.items()):
            if k in LISTS and isinstance(v, list):
                v = ' '.join(v)
            elif isinstance(v, bool):
                v = int(v)
            if v is not None and k in ALLOWED:
                cp.set(section, k, v)
    diff['after'] = dump(cp)
    changed = diff['before'] != diff['after']
    if changed and not CHECK:
        if cp.sections():
            import io
            buf = io.StringIO()
            cp.write(buf)
            atomic_write(dest, buf.getvalue().encode('utf-8'))
        else:
            try:
                os.remove(dest)
            except OSError as e:
                fail('Cannot remove empty repo file %s.' % dest, details=str(e))
    if os.path.isfile(dest):
        if set_attrs(dest, ARGS.get('mode'), ARGS.get('owner'), ARGS.get('group'), CHECK, attributes=ARGS.get('attributes')):
            changed = True
    return {'changed': changed, 'repo': name, 'state': state, 'diff': diff, '_ww_no_path_info': True}
`;

const str = (description: string) => ({ type: 'str' as const, description });
const bool = (description: string) => ({ type: 'bool' as const, description });

const ARGS: ArgSpec = {
  name: { type: 'str', required: true, description: 'the repository id: the [section] name (and the file name unless `file` is given)' },
  description: str("the repository's human-readable name (the `name =` option); required with state=present"),
  baseurl: { type: 'list', elements: 'str', description: 'URL(s) of the repository (one of baseurl, metalink, mirrorlist is required with state=present)' },
  metalink: str('URL of a metalink file'),
  mirrorlist: str('URL of a mirror list'),
  file: str('the file name without .repo (default: name)'),
  reposdir: { type: 'path', default: '/etc/yum.repos.d', description: 'the directory of .repo files (must exist)' },
  state: { type: 'str', default: 'present', choices: ['present', 'absent'], description: 'whether the section is there (the file is removed when its last section goes)' },
  enabled: bool('enabled = 0/1'),
  gpgcheck: bool('gpgcheck = 0/1'),
  gpgkey: { type: 'list', elements: 'str', no_log: false, description: 'URL(s) of the GPG key(s)' },
  repo_gpgcheck: bool('repo_gpgcheck = 0/1'),
  exclude: { type: 'list', elements: 'str', description: 'packages to exclude (joined with spaces)' },
  includepkgs: { type: 'list', elements: 'str', description: 'the only packages to use (joined with spaces)' },
  async: bool('async = 0/1'),
  bandwidth: str('bandwidth limit'),
  cost: str('relative cost'),
  deltarpm_metadata_percentage: str('deltarpm_metadata_percentage'),
  deltarpm_percentage: str('deltarpm_percentage'),
  enablegroups: bool('enablegroups = 0/1'),
  failovermethod: { type: 'str', choices: ['roundrobin', 'priority'], description: 'failovermethod' },
  gpgcakey: str('gpgcakey'),
  module_hotfixes: bool('module_hotfixes = 0/1'),
  http_caching: { type: 'str', choices: ['all', 'packages', 'none'], description: 'http_caching' },
  include: str('include another file or URL'),
  ip_resolve: { type: 'str', choices: ['4', '6', 'IPv4', 'IPv6', 'whatever'], description: 'ip_resolve' },
  keepalive: bool('keepalive = 0/1'),
  keepcache: { type: 'str', choices: ['0', '1'], description: 'keepcache' },
  metadata_expire: str('metadata_expire'),
  metadata_expire_filter: { type: 'str', choices: ['never', 'read-only:past', 'read-only:present', 'read-only:future'], description: 'metadata_expire_filter' },
  mirrorlist_expire: str('mirrorlist_expire'),
  params: { type: 'dict', description: 'removed in Ansible 2.5: an error when given' },
  password: { type: 'str', no_log: true, description: 'password for the repository' },
  priority: str('priority'),
  protect: bool('protect = 0/1'),
  proxy: str('proxy URL'),
  proxy_password: { type: 'str', no_log: true, description: 'proxy password' },
  proxy_username: str('proxy user name'),
  retries: str('retries'),
  s3_enabled: bool('s3_enabled = 0/1'),
  skip_if_unavailable: bool('skip_if_unavailable = 0/1'),
  sslcacert: { type: 'str', aliases: ['ca_cert'], description: 'sslcacert' },
  ssl_check_cert_permissions: bool('ssl_check_cert_permissions = 0/1'),
  sslclientcert: { type: 'str', aliases: ['client_cert'], description: 'sslclientcert' },
  sslclientkey: { type: 'str', aliases: ['client_key'], no_log: false, description: 'sslclientkey' },
  sslverify: { type: 'bool', aliases: ['validate_certs'], description: 'sslverify = 0/1' },
  throttle: str('throttle'),
  timeout: str('timeout'),
  ui_repoid_vars: str('ui_repoid_vars'),
  username: str('user name for the repository'),
  ...FILE_COMMON_ARGS,
};

export const yumRepositoryModule: ModuleDef = {
  name: 'yum_repository',
  description: 'Add or remove a repository section in /etc/yum.repos.d/FILE.repo (INI); no yum or dnf needed.',
  notes: "The file is written atomically in ansible-core 2.14's layout (configparser: `key = value`, options sorted, continuation lines for several baseurl/gpgkey). The result's `diff` holds before/after as Ansible's does, with or without --diff.",
  checkMode: 'full',
  diffMode: true,
  argSpec: ARGS,
  returns: { repo: 'the repository id', state: 'the state argument', diff: 'before/after of the repository file (sorted sections)' },
  run: (args, ctx) => runPython(ctx, 'yum_repository', BODY, args),
};
