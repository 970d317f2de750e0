import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/**
 * ansible.builtin.apt_repository: one source line in sources.list / sources.list.d/*.list, read,
 * decided and written in one round trip. The rules are ansible-core 2.14's: the file name is
 * derived from the line (options and scheme dropped, first word, non-alphanumerics to '_'), a
 * disabled copy of the line is re-enabled instead of adding another, every file is written back
 * in its normalised form, a file left without lines is removed, and `mode` applies to files a
 * line was added to. python3-apt is used only for APT's configured directories when present.
 */
const BODY = String.raw`
import glob

VALID = ('deb', 'deb-src')

class InvalidSource(Exception):
    pass

def apt_dirs():
    sl, sp = '/etc/apt/sources.list', '/etc/apt/sources.list.d/'
    try:
        import apt_pkg
        apt_pkg.init_config()
        sl = apt_pkg.config.find_file('Dir::Etc::sourcelist')
        sp = apt_pkg.config.find_dir('Dir::Etc::sourceparts')
    except Exception:
        pass
    return sl, sp

def parse(line, strict=False):
    valid, enabled, source, comment = False, True, '', ''
    line = line.strip()
    if line.startswith('#'):
        enabled = False
        line = line[1:]
    i = line.find('#')
    if i > 0:
        comment = line[i + 1:].strip()
        line = line[:i]
    source = line.strip()
    if source:
        chunks = source.split()
        if chunks[0] in VALID:
            valid = True
            source = ' '.join(chunks)
    if strict and (not valid or not enabled):
        raise InvalidSource(line)
    return valid, enabled, source, comment

class Sources(object):
    def __init__(self):
        self.files = {}
        self.new = set()
        self.default_file, self.parts = apt_dirs()
        if os.path.isfile(self.default_file):
            self.load(self.default_file)
        for f in glob.iglob('%s/*.list' % self.parts):
            self.load(f)

    def __iter__(self):
        for f, sources in self.files.items():
            for n, valid, enabled, source, comment in sources:
                if valid:
                    yield f, n, enabled, source, comment

    def load(self, path):
        group = []
        with open(path, 'r') as fh:
            for n, line in enumerate(fh):
                valid, enabled, source, comment = parse(line)
                group.append((n, valid, enabled, source, comment))
        self.files[path] = group

    def expand(self, filename):
        if '/' in filename:
            return filename
        return os.path.abspath(os.path.join(self.parts, filename))

    def suggest(self, line):
        given = ARGS.get('filename')
        line = re.sub(r'\[[^\]]+\]', '', line)
        line = re.sub(r'\w+://', '', line)
        parts = [p for p in line.split() if p not in VALID]
        if '@' in parts[0]:
            parts[0] = parts[0].split('@', 1)[-1]
        if given is not None:
            return '%s.list' % given
        return '%s.list' % '_'.join(re.sub('[^a-zA-Z0-9]', ' ', ' '.join(parts[:1])).split())

    def dump(self):
        out = {}
        for f, sources in self.files.items():
            if sources:
                lines = []
                for n, valid, enabled, source, comment in sources:
                    lines.append(('' if enabled else '# ') + source + ((' # ' + comment) if comment else '') + '\n')
                out[f] = ''.join(lines)
        return out

    def modify(self, f, n, enabled):
        valid, _enabled, source, comment = self.files[f][n][1:]
        self.files[f][n] = (n, valid, enabled, source, comment)

    def add(self, line):
        source = parse(line, True)[2]
        if source.startswith('ppa:'):
            fail('wheelwright does not support ppa: repositories (they need Launchpad and a keyserver)')
        f = self.suggest(source)
        found = False
        for fn, n, enabled, src, comment in self:
            if src == source:
                self.modify(fn, n, True)
                found = True
        if not found:
            f = self.expand(f)
            if f not in self.files:
                self.files[f] = []
            self.files[f].append((len(self.files[f]), True, True, source, ''))
            self.new.add(f)

    def remove(self, line):
        source = parse(line, True)[2]
        # as Ansible: pops by the line's original index while iterating (one match per file is exact)
        for fn, n, enabled, src, comment in self:
            if source == src and enabled:
                self.files[fn].pop(n)

def write_all(srcs, dump):
    for f, sources in list(srcs.files.items()):
        if sources:
            text = dump[f]
            try:
                cur = read_bytes(f).decode('utf-8', 'surrogateescape')
            except (IOError, OSError):
                cur = None
            if cur != text:
                d = os.path.dirname(f)
                if d and not os.path.isdir(d):
                    os.makedirs(d)
                atomic_write(f, text.encode('utf-8', 'surrogateescape'))
            if f in srcs.new and ARGS.get('mode') is not None:
                set_attrs(f, ARGS['mode'])
        else:
            del srcs.files[f]
            if os.path.exists(f):
                os.remove(f)

def main():
    a = ARGS
    repo = a['repo']
    if not repo:
        fail("Please set argument 'repo' to a non-empty value")
    srcs = Sources()
    before_files = dict((k, list(v)) for k, v in srcs.files.items())
    before = srcs.dump()
    try:
        if a['state'] == 'present':
            srcs.add(repo)
        else:
            srcs.remove(repo)
    except InvalidSource as ex:
        fail('Invalid repository string: %s' % ex)
    after = srcs.dump()
    changed = before != after
    diff = {}
    if changed and DIFF:
        diff = []
        for f in set(before.keys()).union(after.keys()):
            diff.append({'before': before.get(f, ''), 'after': after.get(f, ''),
                         'before_header': f if f in before else '/dev/null',
                         'after_header': f if f in after else '/dev/null'})
    if changed and not CHECK:
        def revert():
            for f in set(after.keys()).difference(before.keys()):
                if os.path.exists(f):
                    os.remove(f)
            srcs.files = before_files
            srcs.new = set()
            write_all(srcs, srcs.dump())
        try:
            write_all(srcs, after)
        except (OSError, IOError) as ex:
            revert()
            fail(str(ex))
        if a['update_cache']:
            apt_get = which('apt-get')
            if not apt_get:
                revert()
                fail('Failed to update apt cache: apt-get not found')
            import random
            err = ''
            rnd = random.randint(0, 1000) / 1000.0
            for attempt in range(max(a['update_cache_retries'], 1)):
                rc, out, e = run_cmd([apt_get, 'update', '-q'], env={'LANG': 'C', 'LC_ALL': 'C', 'DEBIAN_FRONTEND': 'noninteractive'})
                if rc == 0 and not re.search(r'^(E|Err):', out + e, re.M):
                    break
                err = (e or out).strip()
                if attempt + 1 < a['update_cache_retries']:
                    delay = 2 ** attempt + rnd
                    if delay > a['update_cache_retry_max_delay']:
                        delay = a['update_cache_retry_max_delay'] + rnd
                    time.sleep(delay)
            else:
                revert()
                fail('Failed to update apt cache: %s' % (err if err else 'unknown reason'))
    return {'changed': changed, 'repo': repo, 'state': a['state'], 'diff': diff, '_ww_no_path_info': True}
`;

export const aptRepositoryModule: ModuleDef = {
  name: 'apt_repository',
  description: 'Add or remove an APT source line (sources.list.d/*.list), optionally updating the package lists.',
  notes:
    "The file name rule, normalisation of every sources file, re-enabling a commented-out copy of the line and removal of a file left empty are ansible-core's. Differences: python3-apt is not required on the host (APT's configured directories are read through it when it is there, otherwise /etc/apt/sources.list and /etc/apt/sources.list.d); the cache update runs `apt-get update` (retried as Ansible retries); `ppa:` lines are an error (they need Launchpad and a keyserver); `codename` and `install_python_apt` are accepted and unused.",
  checkMode: 'full',
  diffMode: true,
  argSpec: {
    repo: { type: 'str', required: true, description: "the source line, e.g. 'deb [arch=amd64] http://deb.example.com/debian bookworm main'" },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'whether the line is there (absent removes every enabled copy)' },
    mode: { type: 'raw', description: 'the mode of a file a line is added to (octal or symbolic); new files otherwise get 0666 minus the umask' },
    update_cache: { type: 'bool', default: true, aliases: ['update-cache'], description: 'run apt-get update after a change (the change is reverted when it fails)' },
    update_cache_retries: { type: 'int', default: 5, description: 'attempts of the cache update' },
    update_cache_retry_max_delay: { type: 'int', default: 12, description: 'the longest pause between attempts (s); pauses grow 1, 2, 4... s' },
    filename: { type: 'str', description: "the file's name in sources.list.d without '.list' (a path when it contains '/'); derived from the line when omitted" },
    install_python_apt: { type: 'bool', default: true, description: 'accepted for compatibility: wheelwright does not need python3-apt' },
    validate_certs: { type: 'bool', default: true, description: 'accepted for compatibility (only ppa: lines fetch anything in Ansible)' },
    codename: { type: 'str', description: 'accepted for compatibility (used by ppa: lines, which wheelwright does not support)' },
  },
  returns: { repo: 'the repo argument', state: 'the state argument', diff: 'with --diff and a change: before/after of each sources file' },
  run: (args, ctx) => runPython(ctx, 'apt_repository', BODY, args, { timeoutMs: 15 * 60_000 }),
};
