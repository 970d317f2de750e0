import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

const BODY = String.raw`
def info(name):
    try:
        return grp.getgrnam(name)
    except KeyError:
        return None

def main():
    name, state, gid = ARGS['name'], ARGS['state'], ARGS.get('gid')
    if ARGS['local']:
        fail('local: true (lgroupadd) is not supported by wheelwright')
    res = {'name': name, 'state': state}
    rc, out, err = None, '', ''
    cur = info(name)
    if state == 'absent':
        if cur is not None:
            if CHECK:
                return {'changed': True}
            rc, out, err = run_cmd([which('groupdel') or 'groupdel', name])
            if rc != 0:
                fail(err, name=name)
    else:
        if cur is None:
            if CHECK:
                return {'changed': True}
            cmd = [which('groupadd') or 'groupadd']
            if gid is not None:
                cmd += ['-g', str(gid)]
                if ARGS['non_unique']:
                    cmd.append('-o')
            if ARGS['system']:
                cmd.append('-r')
            rc, out, err = run_cmd(cmd + [name])
        elif gid is not None and cur.gr_gid != gid:
            if CHECK:
                rc = 0
            else:
                cmd = [which('groupmod') or 'groupmod', '-g', str(gid)]
                if ARGS['non_unique']:
                    cmd.append('-o')
                rc, out, err = run_cmd(cmd + [name])
        if rc is not None and rc != 0:
            fail(err, name=name)
    res['changed'] = rc is not None
    if out:
        res['stdout'] = out
    if err:
        res['stderr'] = err
    now = info(name)
    if now is not None:
        res['system'] = ARGS['system']
        res['gid'] = now.gr_gid
    return res
`;

export const groupModule: ModuleDef = {
  name: 'group',
  description: 'Add, change (gid) or remove a local group (groupadd/groupmod/groupdel).',
  checkMode: 'full',
  argSpec: {
    name: { type: 'str', required: true, description: 'the group name' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'whether the group should exist' },
    gid: { type: 'int', description: 'the group id' },
    system: { type: 'bool', default: false, description: 'create a system group (groupadd -r)' },
    local: { type: 'bool', default: false, description: 'lgroupadd: not supported (an error when true)' },
    non_unique: { type: 'bool', default: false, description: 'allow a non-unique gid (needs gid)' },
  },
  requiredIf: [['non_unique', true, ['gid']]],
  returns: { name: 'the group name', state: 'the state asked for', gid: 'the group id (when the group exists)', system: 'whether system was asked for' },
  run: (args, ctx) => runPython(ctx, 'group', BODY, args),
};
