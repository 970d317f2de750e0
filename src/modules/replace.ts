import type { ModuleDef } from './types.js';
import { FILE_COMMON_ARGS } from './lib/common-args.js';
import { runPython } from './lib/py.js';

/** Python's re.subn over the file (or the part between after/before), as Ansible's replace. */
const BODY = String.raw`
def main():
    path, enc = ARGS['path'], ARGS['encoding']
    res = {'rc': 0}
    if os.path.isdir(path):
        fail('Path %s is a directory !' % path, rc=256)
    if not os.path.exists(path):
        fail('Path %s does not exist !' % path, rc=257)
    with open(path, 'rb') as f:
        contents = f.read().decode(enc, 'surrogateescape')
    after, before = ARGS.get('after'), ARGS.get('before')
    pattern = ''
    if after and before:
        pattern = '%s(?P<subsection>.*?)%s' % (after, before)
    elif after:
        pattern = '%s(?P<subsection>.*)' % after
    elif before:
        pattern = '(?P<subsection>.*)%s' % before
    if pattern:
        m = re.search(re.compile(pattern, re.DOTALL), contents)
        if not m:
            return {'rc': 0, 'changed': False, 'msg': 'Pattern for before/after params did not match the given file: %s' % pattern}
        section, span = m.group('subsection'), (m.start('subsection'), m.end('subsection'))
    else:
        section, span = contents, None
    new, count = re.subn(re.compile(ARGS['regexp'], re.MULTILINE), ARGS['replace'], section, 0)
    changed = count > 0 and new != section
    msg = ''
    if changed:
        if span:
            new = contents[:span[0]] + new + contents[span[1]:]
        msg = '%s replacements made' % count
        if DIFF:
            res['diff'] = {'before_header': path, 'before': contents, 'after_header': path, 'after': new}
        if not CHECK:
            if ARGS['backup']:
                res['backup_file'] = backup_local(path)
            write_validated(path, new.encode(enc, 'surrogateescape'), ARGS.get('validate'))
    res['msg'], res['changed'] = file_attrs(path, changed, msg, CHECK)
    return res
`;

export const replaceModule: ModuleDef = {
  name: 'replace',
  description: 'Replace every match of a Python regular expression in a file (optionally only between after/before).',
  checkMode: 'full',
  diffMode: true,
  argSpec: {
    path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'], description: 'the file to modify' },
    regexp: { type: 'str', required: true, description: 'Python regular expression (MULTILINE) to replace' },
    replace: { type: 'str', default: '', description: 'the replacement; may refer to groups (\\1, \\g<name>)' },
    after: { type: 'str', description: 'only replace after the first match of this expression (DOTALL)' },
    before: { type: 'str', description: 'only replace before the match of this expression (DOTALL)' },
    backup: { type: 'bool', default: false, description: 'keep a timestamped copy of the old file' },
    validate: { type: 'str', description: 'command run on the new file first; must contain %s' },
    encoding: { type: 'str', default: 'utf-8', description: 'the file encoding' },
    ...FILE_COMMON_ARGS,
  },
  returns: { changed: 'whether the file changed', msg: "'N replacements made', or ''", rc: 'always 0', backup_file: 'the backup, when made', diff: 'with --diff: before/after content' },
  run: (args, ctx) => runPython(ctx, 'replace', BODY, args),
};
