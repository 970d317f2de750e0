import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** Installed packages as ansible_facts.packages: apt (python3-apt, else dpkg-query) and rpm. */
const BODY = String.raw`
def apt_packages():
    out = {}
    try:
        import apt
        cache = apt.Cache()
        for name in cache.keys():
            p = cache[name]
            if not p.is_installed:
                continue
            i = p.installed
            out.setdefault(name, []).append({'name': name, 'version': i.version, 'arch': i.architecture, 'category': i.section, 'origin': i.origins[0].origin, 'source': 'apt'})
        return out
    except ImportError:
        pass
    if not which('dpkg-query'):
        return None
    fmt = '\t'.join('$' + '{%s}' % f for f in ('db:Status-Abbrev', 'Package', 'Version', 'Architecture', 'Section')) + '\n'
    rc, text, err = run_cmd(['dpkg-query', '-W', '-f', fmt])
    if rc != 0:
        return None
    for line in text.splitlines():
        p = line.split('\t')
        if len(p) < 5 or not p[0].startswith('ii'):
            continue
        out.setdefault(p[1], []).append({'name': p[1], 'version': p[2], 'arch': p[3], 'category': p[4], 'origin': '', 'source': 'apt'})
    return out

def rpm_packages():
    if not which('rpm'):
        return None
    rc, text, err = run_cmd(['rpm', '-qa', '--queryformat', '%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\n'])
    if rc != 0:
        return None
    out = {}
    for line in text.splitlines():
        n, v, r, e, a = line.split('\t')
        out.setdefault(n, []).append({'name': n, 'version': v, 'release': r, 'epoch': None if e == '(none)' else int(e), 'arch': a, 'source': 'rpm'})
    return out

MANAGERS = {'apt': apt_packages, 'rpm': rpm_packages}

def main():
    wanted = [m.lower() for m in ARGS['manager']]
    if 'auto' in wanted:
        wanted.remove('auto')
        wanted += list(MANAGERS)
    bad = set(wanted).difference(MANAGERS)
    if bad:
        fail('Unsupported package managers requested: %s' % ', '.join(sorted(bad)))
    packages, found, seen = {}, 0, set()
    for m in wanted:
        if found and ARGS['strategy'] == 'first':
            break
        if m in seen:
            continue
        seen.add(m)
        got = MANAGERS[m]()
        if got is not None:
            found += 1
            packages.update(got)
    if not found:
        fail('Could not detect a supported package manager from the following list: %s, or the required Python library is not installed. Check warnings for details.' % wanted)
    return {'changed': False, 'ansible_facts': {'packages': packages}}
`;

export const packageFactsModule: ModuleDef = {
  name: 'package_facts',
  description: 'Installed packages (apt/dpkg, rpm) as the fact `packages`: name -> list of {name, version, arch, ...}.',
  checkMode: 'full',
  argSpec: {
    manager: { type: 'list', elements: 'str', default: ['auto'], description: 'auto, apt or rpm' },
    strategy: { type: 'str', default: 'first', choices: ['first', 'all'], description: 'stop at the first manager found, or use all' },
  },
  returns: { 'ansible_facts.packages': 'name -> [{name, version, arch, category, origin, source}] (apt) or [{name, version, release, epoch, arch, source}] (rpm)' },
  run: (args, ctx) => runPython(ctx, 'package_facts', BODY, args, { check: false }),
};
