import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** Ansible's getent: getent(1) on the host, its lines as facts (getent_<database>), one round trip. */
const BODY = String.raw`
def main():
    a = ARGS
    database, key, split, service = a['database'], a.get('key'), a.get('split'), a.get('service')
    cmd = which('getent')
    if not cmd:
        fail('Failed to find required executable "getent" in paths: %s' % os.environ.get('PATH', ''))
    argv = [cmd, database] + ([key] if key is not None else [])
    if service is not None:
        argv += ['-s', service]
    if split is None and database in ('passwd', 'shadow', 'group', 'gshadow'):
        split = ':'
    rc, out, err = run_cmd(argv)
    dbtree = 'getent_%s' % database
    results = {dbtree: {}}
    if rc == 0:
        seen = {}
        for line in out.splitlines():
            record = line.split(split)
            if record[0] in seen:
                if seen[record[0]] == 1:
                    results[dbtree][record[0]] = [results[dbtree][record[0]]]
                results[dbtree][record[0]].append(record[1:])
                seen[record[0]] += 1
            else:
                results[dbtree][record[0]] = record[1:]
                seen[record[0]] = 1
        return {'changed': False, 'ansible_facts': results}
    msg = 'Unexpected failure!'
    if rc == 1:
        msg = 'Missing arguments, or database unknown.'
    elif rc == 2:
        msg = 'One or more supplied key could not be found in the database.'
        if not a['fail_key']:
            results[dbtree][key] = None
            return {'changed': False, 'ansible_facts': results, 'msg': msg}
    elif rc == 3:
        msg = 'Enumeration not supported on this database.'
    fail(msg)
`;

export const getentModule: ModuleDef = {
  name: 'getent',
  description: "Read a system database (passwd, group, hosts, services, ...) with getent(1); the entries become the fact getent_<database>.",
  notes:
    'Each line is split on `split` (`:` for passwd, shadow, group and gshadow, else whitespace); the first field is the key,\n' +
    'the rest its list (a key seen twice holds a list of lists). A missing key fails unless `fail_key: false`, which sets\n' +
    'the key to None. Runs in check mode too.',
  checkMode: 'full',
  argSpec: {
    database: { type: 'str', required: true, description: 'the database (passwd, group, hosts, services, ...)' },
    key: { type: 'str', description: 'the key to look up (default: every entry)' },
    service: { type: 'str', description: 'the NSS service to use (getent -s)' },
    split: { type: 'str', description: 'the field separator' },
    fail_key: { type: 'bool', default: true, description: 'fail when the key is missing' },
  },
  returns: { ansible_facts: 'getent_<database>: key -> list of the other fields' },
  run: (args, ctx) => runPython(ctx, 'getent', BODY, args, { check: false }),
};
