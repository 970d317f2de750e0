import type { ModuleDef } from './types.js';
import { FILE_COMMON_ARGS } from './lib/common-args.js';
import { runPython } from './lib/py.js';

/** The remote program: Ansible's lineinfile semantics on the file's bytes, one round trip. */
const BODY = String.raw`
def load(path):
    with open(path, 'rb') as f:
        return f.readlines()

def content_diff(path):
    return {'before': '', 'after': '', 'before_header': '%s (content)' % path, 'after_header': '%s (content)' % path}

def finish(path, lines, changed, msg, diff, extra):
    backup = ''
    if changed and not CHECK:
        if ARGS['backup'] and os.path.exists(path):
            backup = backup_local(path)
        write_validated(path, b''.join(lines), ARGS.get('validate'))
    res = dict(extra)
    res.update(changed=changed, msg=msg, backup=backup)
    if DIFF:
        diff['after'] = to_text(b''.join(lines))
        res['diff'] = [diff]
    if CHECK and not os.path.exists(path):
        return res
    res['msg'], res['changed'] = file_attrs(path, changed, msg, CHECK)
    return res

def present(path):
    line = to_bytes(ARGS['line'])
    regexp, search = ARGS.get('regexp'), ARGS.get('search_string')
    after, before = ARGS.get('insertafter'), ARGS.get('insertbefore')
    if after is None and before is None:
        after = 'EOF'
    first = ARGS['firstmatch']
    diff = content_diff(path)
    if os.path.exists(path):
        lines = load(path)
    else:
        if not ARGS['create']:
            fail('Destination %s does not exist !' % path, rc=257)
        parent = os.path.dirname(path)
        if parent and not os.path.exists(parent) and not CHECK:
            os.makedirs(parent)
        lines = []
    if DIFF:
        diff['before'] = to_text(b''.join(lines))
    anchor = None
    if after not in (None, 'BOF', 'EOF'):
        anchor = re.compile(to_bytes(after))
    elif before not in (None, 'BOF'):
        anchor = re.compile(to_bytes(before))
    hit, ins, match, exact = -1, -1, None, False
    if regexp is not None:
        rx = re.compile(to_bytes(regexp))
        for i, cur in enumerate(lines):
            m = rx.search(cur)
            if m:
                hit, match = i, m
                if first:
                    break
    if search is not None:
        needle = to_bytes(search)
        for i, cur in enumerate(lines):
            if needle in cur:
                hit, match = i, True
                if first:
                    break
    if not match:
        for i, cur in enumerate(lines):
            if cur.rstrip(b'\r\n') == line:
                hit, exact = i, True
            elif anchor is not None and anchor.search(cur):
                ins = i + 1 if after else i
                if first:
                    break
    nl = to_bytes(os.linesep)
    changed, msg = False, ''
    def add_at(pos):
        lines.insert(pos, line + nl)
        return True, 'line added'
    if hit != -1:
        new = match.expand(line) if (ARGS['backrefs'] and match is not None and match is not True) else line
        if not new.endswith(nl):
            new += nl
        # hit without a match is an exact line; with regexp/search it is replaced when it differs
        if (regexp, search, match) == (None, None, None) and not exact:
            pass
        elif lines[hit] != new:
            lines[hit] = new
            changed, msg = True, 'line replaced'
    elif ARGS['backrefs']:
        pass
    elif before == 'BOF' or after == 'BOF':
        changed, msg = add_at(0)
    elif after == 'EOF' or ins == -1:
        if lines and lines[-1][-1:] not in (b'\n', b'\r'):
            lines.append(nl)
        lines.append(line + nl)
        changed, msg = True, 'line added'
    elif after and ins != -1:
        if len(lines) == ins:
            if lines[ins - 1].rstrip(b'\r\n') != line:
                lines.append(line + nl)
                changed, msg = True, 'line added'
        elif lines[ins].rstrip(b'\r\n') != line:
            changed, msg = add_at(ins)
    else:
        changed, msg = add_at(ins)
    return finish(path, lines, changed, msg, diff, {})

def absent(path):
    if not os.path.exists(path):
        return {'changed': False, 'msg': 'file not present'}
    regexp, search, line = ARGS.get('regexp'), ARGS.get('search_string'), ARGS.get('line')
    rx = re.compile(to_bytes(regexp)) if regexp is not None else None
    lines = load(path)
    diff = content_diff(path)
    if DIFF:
        diff['before'] = to_text(b''.join(lines))
    keep, found = [], 0
    for cur in lines:
        if rx is not None:
            hit = rx.search(cur)
        elif search is not None:
            hit = to_bytes(search) in cur
        else:
            hit = to_bytes(line) == cur.rstrip(b'\r\n')
        if hit:
            found += 1
        else:
            keep.append(cur)
    changed = found > 0
    return finish(path, keep, changed, '%s line(s) removed' % found if changed else '', diff, {'found': found})

def main():
    path = ARGS['path']
    if os.path.isdir(path):
        fail('Path %s is a directory !' % path, rc=256)
    if ARGS['state'] == 'present':
        if ARGS['backrefs'] and ARGS.get('regexp') is None:
            fail('regexp is required with backrefs=true')
        if ARGS.get('line') is None:
            fail('line is required with state=present')
        return present(path)
    if (ARGS.get('regexp'), ARGS.get('search_string'), ARGS.get('line')) == (None, None, None):
        fail('one of line, search_string, or regexp is required with state=absent')
    return absent(path)
`;

export const lineinfileModule: ModuleDef = {
  name: 'lineinfile',
  description: 'Ensure a particular line is in a file, or replace an existing line using a regular expression (Python re).',
  checkMode: 'full',
  diffMode: true,
  argSpec: {
    path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'], description: 'the file to modify' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'whether the line should be there' },
    regexp: { type: 'str', aliases: ['regex'], description: 'Python regular expression looked for in every line; the last match is replaced (the first with firstmatch)' },
    search_string: { type: 'str', description: 'literal string looked for in every line, instead of regexp' },
    line: { type: 'str', aliases: ['value'], description: 'the line to insert or replace with (required with state=present); with backrefs, may hold \\1 groups' },
    insertafter: { type: 'str', description: "EOF (default), BOF, or a regular expression: insert after its last match when regexp does not match" },
    insertbefore: { type: 'str', description: 'BOF or a regular expression: insert before its last match' },
    backrefs: { type: 'bool', default: false, description: 'expand regexp groups in line; the file is unchanged when regexp does not match' },
    create: { type: 'bool', default: false, description: 'create the file when it does not exist' },
    backup: { type: 'bool', default: false, description: 'keep a timestamped copy of the old file' },
    firstmatch: { type: 'bool', default: false, description: 'insertafter/insertbefore/regexp work on the first match' },
    validate: { type: 'str', description: "command run on the new file before it replaces the old one; must contain %s" },
    ...FILE_COMMON_ARGS,
  },
  mutuallyExclusive: [['insertbefore', 'insertafter'], ['regexp', 'search_string'], ['backrefs', 'search_string']],
  returns: {
    changed: 'whether the file changed',
    msg: "'line added', 'line replaced', 'N line(s) removed', '' (plus ' and ownership, perms or SE linux context changed')",
    backup: 'the backup file name, or an empty string',
    found: 'state=absent: the number of lines removed',
    diff: 'with --diff: before/after content',
  },
  run: (args, ctx) => runPython(ctx, 'lineinfile', BODY, args),
};
