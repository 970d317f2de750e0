import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** Ansible's pip decisions: create the virtualenv, run pip, changed from pip's own words or the freeze. */
const BODY = String.raw`
import shlex
STATE_MAP = {'present': ['install'], 'absent': ['uninstall', '-y'], 'latest': ['install', '-U'], 'forcereinstall': ['install', '-U', '--force-reinstall']}

def get_pip(env, executable):
    if executable:
        if os.path.isabs(executable):
            return [executable]
        found = which(executable)
        if not found:
            fail('Unable to find any of %s to use.  pip needs to be installed.' % executable)
        return [found]
    if env:
        for name in ('pip3', 'pip'):
            p = os.path.join(env, 'bin', name)
            if os.path.exists(p):
                return [p]
        fail('Unable to find pip in the virtualenv, %s, under any of these names: pip3, pip. Make sure pip is present in the virtualenv.' % env)
    for name in ('pip3', 'pip'):
        p = which(name)
        if p:
            return [p]
    fail('Unable to find any of pip3, pip to use.  pip needs to be installed.')

def freeze(pip, chdir):
    cmd = pip + ['list', '--format=freeze']
    rc, out, err = run_cmd(cmd, cwd=chdir)
    if rc != 0:
        cmd = pip + ['freeze']
        rc, out, err = run_cmd(cmd, cwd=chdir)
        if rc != 0:
            fail('Failed to list packages: %s' % err, cmd=' '.join(cmd))
    return ' '.join(cmd), out, err

def norm(n):
    return re.sub(r'[-_.]+', '-', n).lower()

def split_req(text):
    m = re.match(r'^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$', text)
    if not m:
        return text, ''
    return m.group(1), m.group(3).strip()

def is_present(name, spec, pkgs):
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:
        try:
            from pip._vendor.packaging.specifiers import SpecifierSet
        except ImportError:
            SpecifierSet = None
    for line in pkgs:
        if '==' not in line:
            continue
        n, v = line.split('==', 1)
        if norm(n) != norm(name):
            continue
        if not spec:
            return True
        if SpecifierSet is None:
            return spec == '==' + v
        return SpecifierSet(spec).contains(v, prereleases=True)
    return False

def setup_venv(env, chdir):
    a = ARGS
    if CHECK:
        raise Done({'changed': True})
    cmd = shlex.split(a['virtualenv_command'])
    if os.path.basename(cmd[0]) == cmd[0]:
        found = which(cmd[0])
        if not found:
            fail('Failed to find required executable "%s"' % cmd[0])
        cmd[0] = found
    if a['virtualenv_site_packages']:
        cmd.append('--system-site-packages')
    venv_module = os.path.basename(cmd[0]) == 'pyvenv' or '-m venv' in a['virtualenv_command']
    if a.get('virtualenv_python') and not venv_module:
        cmd.append('-p%s' % a['virtualenv_python'])
    elif a.get('virtualenv_python') and venv_module:
        fail('virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command')
    rc, out, err = run_cmd(cmd + [env], cwd=chdir)
    if rc != 0:
        fail('Failed to create the virtualenv %s: %s' % (env, err), cmd=cmd + [env], stdout=out, stderr=err)
    return out, err

def main():
    a = ARGS
    state, names, version, reqs, extra, chdir, env = a['state'], a.get('name'), a.get('version'), a.get('requirements'), a.get('extra_args'), a.get('chdir'), a.get('virtualenv')
    if env and chdir:
        env = os.path.join(chdir, env)
    if a.get('umask') is not None:
        try:
            os.umask(int(str(a['umask']), 8))
        except ValueError:
            fail('umask must be an octal integer')
    if state == 'latest' and version is not None:
        fail('version is incompatible with state=latest')
    if chdir is None:
        chdir = tempfile.gettempdir()
    out = err = ''
    created = False
    if env and not os.path.exists(os.path.join(env, 'bin', 'activate')):
        created = True
        o, e = setup_venv(env, chdir)
        out += o
        err += e
    pip = get_pip(env, a.get('executable'))
    cmd = pip + STATE_MAP[state]
    pkgs = []
    if names:
        pkgs = list(names)
        if version is not None:
            if len(pkgs) > 1:
                fail("'version' argument is ambiguous when installing multiple package distributions. Please specify version restrictions next to each package in 'name' argument.")
            n, spec = split_req(pkgs[0])
            if spec:
                fail("The 'version' argument conflicts with any version specifier provided along with a package name. Please keep the version specifier, but remove the 'version' argument.")
            pkgs[0] = '%s==%s' % (n, version) if version[:1].isdigit() else n + version
    if a['editable']:
        args = extra.split(' ') if extra else []
        if '-e' not in args:
            args.append('-e')
            extra = ' '.join(args)
    if extra:
        cmd += shlex.split(extra)
    if names:
        cmd += pkgs
    elif reqs:
        cmd += ['-r', reqs]
    else:
        return {'changed': False, 'warnings': ['No valid name or requirements file found.']}
    env_path = dict(os.environ)
    if env:
        env_path['PATH'] = os.path.join(env, 'bin') + os.pathsep + env_path.get('PATH', '')
    if CHECK:
        if extra or reqs or state == 'latest' or not names:
            return {'changed': True}
        pcmd, o, e = freeze(pip, chdir)
        out += o
        err += e
        lines = [p for p in out.split('\n') if p and not p.startswith('You are using') and not p.startswith('You should consider')]
        changed = False
        for p in pkgs:
            n, spec = split_req(p)
            present = is_present(n, spec, lines)
            if (state == 'present' and not present) or (state == 'absent' and present):
                changed = True
                break
        return {'changed': changed, 'cmd': pcmd, 'stdout': out, 'stderr': err}
    before = None
    if reqs:
        before = freeze(pip, chdir)[1]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=chdir, env=env_path)
    o, e = p.communicate()
    o, e = to_text(o), to_text(e)
    out += o
    err += e
    if p.returncode == 1 and state == 'absent' and ('not installed' in o or 'not installed' in e):
        pass
    elif p.returncode != 0:
        fail('stdout: %s\n\n:stderr: %s' % (out, err), cmd=' '.join(cmd))
    if state == 'absent':
        changed = 'Successfully uninstalled' in o
    elif before is None:
        changed = 'Successfully installed' in o
    else:
        changed = before != freeze(pip, chdir)[1]
    return {'changed': changed or created, 'cmd': cmd, 'name': names, 'version': version, 'state': state, 'requirements': reqs, 'virtualenv': env, 'stdout': out, 'stderr': err}
`;

export const pipModule: ModuleDef = {
  name: 'pip',
  description: 'Install, upgrade or remove Python packages with pip, optionally in a virtualenv it creates.',
  checkMode: 'full',
  argSpec: {
    name: { type: 'list', elements: 'str', description: 'package names, with optional version specifiers' },
    version: { type: 'str', description: 'the version of the one package in name' },
    requirements: { type: 'str', description: 'a requirements file (relative to chdir)' },
    virtualenv: { type: 'path', description: 'virtualenv to install into (created when missing)' },
    virtualenv_command: { type: 'path', default: 'virtualenv', description: "what creates the virtualenv (e.g. 'python3 -m venv')" },
    virtualenv_python: { type: 'str', description: 'the Python for virtualenv -p' },
    virtualenv_site_packages: { type: 'bool', default: false, description: 'the venv sees the system site-packages' },
    state: { type: 'str', default: 'present', choices: ['absent', 'forcereinstall', 'latest', 'present'], description: 'what to do' },
    extra_args: { type: 'str', description: 'extra pip arguments (e.g. --no-index --find-links DIR)' },
    editable: { type: 'bool', default: false, description: 'pip install -e' },
    chdir: { type: 'path', description: 'directory pip runs in' },
    executable: { type: 'path', description: 'the pip to run (not with virtualenv)' },
    umask: { type: 'str', description: 'umask for the installation (octal)' },
  },
  requiredOneOf: [['name', 'requirements']],
  mutuallyExclusive: [['name', 'requirements'], ['executable', 'virtualenv']],
  returns: { cmd: 'the pip command', name: 'the packages', version: 'version', state: 'state', requirements: 'the requirements file', virtualenv: 'the virtualenv', stdout: "pip's output", stderr: "pip's errors" },
  run: (args, ctx) => runPython(ctx, 'pip', BODY, args, { timeoutMs: 1_800_000 }),
};
