import type { ModuleDef } from './types.js';
import { FILE_COMMON_ARGS } from './lib/common-args.js';
import { runPython } from './lib/py.js';

/** A block between marker lines, inserted, updated or removed with Ansible's blockinfile rules. */
const BODY = String.raw`
def main():
    path = ARGS['path']
    nl = os.linesep.encode()
    if os.path.isdir(path):
        fail('Path %s is a directory !' % path, rc=256)
    exists = os.path.exists(path)
    if not exists:
        if not ARGS['create']:
            fail('Path %s does not exist !' % path, rc=257)
        parent = os.path.dirname(path)
        if parent and not os.path.exists(parent) and not CHECK:
            os.makedirs(parent)
        original, lines = None, []
    else:
        with open(path, 'rb') as f:
            original = f.read()
        lines = original.splitlines(True)
    diff = {'before': '', 'after': '', 'before_header': '%s (content)' % path, 'after_header': '%s (content)' % path}
    if DIFF and original:
        diff['before'] = to_text(original)
    present = ARGS['state'] == 'present'
    if not present and not exists:
        return {'changed': False, 'msg': 'File %s not present' % path}
    after, before = ARGS.get('insertafter'), ARGS.get('insertbefore')
    if after is None and before is None:
        after = 'EOF'
    if after not in (None, 'EOF'):
        anchor = re.compile(to_bytes(after))
    elif before not in (None, 'BOF'):
        anchor = re.compile(to_bytes(before))
    else:
        anchor = None
    marker = to_bytes(ARGS['marker'])
    begin = marker.replace(b'{mark}', to_bytes(ARGS['marker_begin'])) + nl
    end = marker.replace(b'{mark}', to_bytes(ARGS['marker_end'])) + nl
    block = to_bytes(ARGS['block'])
    if present and block:
        if not block.endswith(nl):
            block += nl
        blines = [begin] + block.splitlines(True) + [end]
    else:
        blines = []
    n0 = n1 = None
    for i, l in enumerate(lines):
        if l == begin:
            n0 = i
        if l == end:
            n1 = i
    if n0 is None or n1 is None:
        n0 = None
        if anchor is not None:
            if anchor.flags & re.MULTILINE:
                m = anchor.search(original or b'')
                if m:
                    n0 = (original or b'').count(b'\n', 0, m.end() if after else m.start())
            else:
                for i, l in enumerate(lines):
                    if anchor.search(l):
                        n0 = i
            if n0 is None:
                n0 = len(lines)
            elif after is not None:
                n0 += 1
        elif before is not None:
            n0 = 0
        else:
            n0 = len(lines)
    elif n0 < n1:
        lines[n0:n1 + 1] = []
    else:
        lines[n1:n0 + 1] = []
        n0 = n1
    if n0 > 0 and not lines[n0 - 1].endswith(nl):
        lines[n0 - 1] += nl
    lines[n0:n0] = blines
    result = b''.join(lines)
    if DIFF:
        diff['after'] = to_text(result)
    if original == result:
        msg, changed = '', False
    elif original is None:
        msg, changed = 'File created', True
    elif not blines:
        msg, changed = 'Block removed', True
    else:
        msg, changed = 'Block inserted', True
    res = {}
    if changed and not CHECK:
        if ARGS['backup'] and exists:
            res['backup_file'] = backup_local(path)
        write_validated(path, result, ARGS.get('validate'))
    if DIFF:
        res['diff'] = [diff]
    if CHECK and not exists:
        res.update(changed=changed, msg=msg)
        return res
    res['msg'], res['changed'] = file_attrs(path, changed, msg, CHECK)
    return res
`;

export const blockinfileModule: ModuleDef = {
  name: 'blockinfile',
  description: 'Insert, update or remove a block of lines between marker lines in a file.',
  checkMode: 'full',
  diffMode: true,
  argSpec: {
    path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'], description: 'the file to modify' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'whether the block should be there' },
    marker: { type: 'str', default: '# {mark} ANSIBLE MANAGED BLOCK', description: 'marker line template; {mark} becomes marker_begin/marker_end' },
    block: { type: 'str', default: '', aliases: ['content'], description: 'the text between the markers (empty: remove the block)' },
    insertafter: { type: 'str', description: 'EOF (default) or a regular expression: a new block goes after its last match' },
    insertbefore: { type: 'str', description: 'BOF or a regular expression: a new block goes before its last match' },
    create: { type: 'bool', default: false, description: 'create the file when missing' },
    backup: { type: 'bool', default: false, description: 'keep a timestamped copy of the old file' },
    validate: { type: 'str', description: 'command run on the new file first; must contain %s' },
    marker_begin: { type: 'str', default: 'BEGIN', description: '{mark} of the first marker' },
    marker_end: { type: 'str', default: 'END', description: '{mark} of the last marker' },
    ...FILE_COMMON_ARGS,
  },
  mutuallyExclusive: [['insertbefore', 'insertafter']],
  returns: { changed: 'whether the file changed', msg: "'Block inserted', 'Block removed', 'File created' or ''", backup_file: 'the backup, when made', diff: 'with --diff: before/after content' },
  run: (args, ctx) => runPython(ctx, 'blockinfile', BODY, args),
};
