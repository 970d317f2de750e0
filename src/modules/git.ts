import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** Ansible's git decisions (clone, fetch, switch version, local modifications) over the git CLI. */
const BODY = String.raw`
def git(args, cwd=None, check=False):
    return run_cmd([GIT] + args, cwd=cwd, env=ENV, check_rc=check)

def unfrack(path):
    if path is None:
        return None
    return os.path.normpath(os.path.realpath(os.path.expanduser(os.path.expandvars(path))))

def is_remote_branch(remote, version, cwd=None):
    rc, out, err = git(['ls-remote', remote, '-h', 'refs/heads/' + version], cwd=cwd, check=True)
    return bool(out.strip())

def is_remote_tag(remote, version, cwd=None):
    rc, out, err = git(['ls-remote', remote, '-t', 'refs/tags/' + version], cwd=cwd, check=True)
    return bool(out.strip())

def is_local_branch(dest, branch):
    rc, out, err = git(['branch', '--no-color', '-a'], cwd=dest)
    return any(l.strip('* ').strip() == branch for l in out.splitlines())

def head_branch(dest, remote):
    rc, out, err = git(['symbolic-ref', '--short', 'refs/remotes/%s/HEAD' % remote], cwd=dest)
    if rc == 0 and out.strip():
        return out.strip().split('/', 1)[1]
    rc, out, err = git(['rev-parse', '--abbrev-ref', 'HEAD'], cwd=dest)
    return out.strip()

def remote_head(dest, version, remote, cloning):
    cwd = None if cloning else dest
    tag = False
    if version == 'HEAD':
        if cloning:
            cmd = ['ls-remote', remote, '-h', 'HEAD']
        else:
            cmd = ['ls-remote', remote, '-h', 'refs/heads/' + head_branch(dest, remote)]
    elif is_remote_branch(remote, version, cwd):
        cmd = ['ls-remote', remote, '-h', 'refs/heads/' + version]
    elif is_remote_tag(remote, version, cwd):
        tag = True
        cmd = ['ls-remote', remote, '-t', 'refs/tags/%s*' % version]
    else:
        return version
    rc, out, err = git(cmd, cwd=cwd, check=True)
    if len(out) < 1:
        fail('Could not determine remote revision for %s' % version, stdout=out, stderr=err, rc=rc)
    if tag:
        for t in out.split('\n'):
            if t.endswith(version + '^{}'):
                out = t
                break
            elif t.endswith(version):
                out = t
    return out.split()[0]

def get_version(dest):
    rc, out, err = git(['rev-parse', 'HEAD'], cwd=dest)
    return out.rstrip('\n')

def main():
    global GIT, ENV
    a = ARGS
    GIT = a.get('executable') or which('git')
    if not GIT:
        fail('Failed to find required executable "git" in paths')
    ENV = {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C'}
    ssh = ['ssh']
    if a.get('key_file'):
        ssh += ['-i', a['key_file'], '-o', 'IdentitiesOnly=yes']
    if a['accept_hostkey']:
        ssh += ['-o', 'StrictHostKeyChecking=no']
    elif a['accept_newhostkey']:
        ssh += ['-o', 'StrictHostKeyChecking=accept-new']
    if a.get('ssh_opts'):
        ssh.append(a['ssh_opts'])
    ENV['GIT_SSH_COMMAND'] = ' '.join(ssh)
    if a.get('umask') is not None:
        os.umask(int(str(a['umask']), 8))
    repo, dest, version, remote = a['repo'], a.get('dest'), a['version'], a['remote']
    # as Ansible: a path is used as a file:// URL (depth needs it)
    if os.path.expanduser(repo).startswith('/'):
        repo = 'file://' + os.path.expanduser(repo)
    depth, bare, force, update = a.get('depth'), a['bare'], a['force'], a['update']
    res = {'changed': False, 'before': None}
    if not dest and a['clone']:
        fail('the destination directory must be specified unless clone=no')
    dest = os.path.abspath(dest) if dest else None
    gitconfig = os.path.join(dest, 'config' if bare else '.git/config') if dest else None
    if (dest and not os.path.exists(gitconfig)) or (not dest and not a['clone']):
        if CHECK or not a['clone']:
            res.update(changed=True, after=remote_head(dest, version, repo, True))
            return res
        try:
            os.makedirs(os.path.dirname(dest))
        except OSError:
            pass
        cmd = ['clone'] + (['--bare'] if bare else ['--origin', remote])
        branch_or_tag = version != 'HEAD' and (is_remote_branch(repo, version) or is_remote_tag(repo, version))
        if depth:
            if version == 'HEAD' or a.get('refspec'):
                cmd += ['--depth', str(depth)]
            elif branch_or_tag:
                cmd += ['--depth', str(depth), '--branch', version]
        if a['single_branch']:
            cmd.append('--single-branch')
            if branch_or_tag:
                cmd += ['--branch', version]
        if a.get('reference'):
            cmd += ['--reference', a['reference']]
        git(cmd + [repo, dest], cwd=os.path.dirname(dest), check=True)
        if bare and remote != 'origin':
            git(['remote', 'add', remote, repo], cwd=dest, check=True)
        if a.get('refspec'):
            git(['fetch'] + (['--depth', str(depth)] if depth else []) + [remote, a['refspec']], cwd=dest, check=True)
    elif not update:
        res['before'] = get_version(dest)
        res['after'] = res['before']
        return res
    else:
        mods = False
        if not bare:
            rc, out, err = git(['status', '--porcelain'], cwd=dest)
            mods = len([l for l in out.splitlines() if not l.startswith('??')]) > 0
        res['before'] = get_version(dest)
        if mods:
            if not force:
                res['msg'] = 'Local modifications exist in the destination: %s (force=no).' % dest
                fail(res.pop('msg'), **res)
            if not CHECK:
                git(['reset', '--hard', 'HEAD'], cwd=dest, check=True)
                res.update(changed=True, msg='Local modifications exist in the destination: ' + dest)
        rc, out, err = git(['ls-remote', '--get-url', remote], cwd=dest)
        url = out.rstrip('\n') if rc == 0 else None
        url_changed = bool(url and url != repo and unfrack(url) != unfrack(repo))
        if url_changed and not CHECK:
            git(['remote', 'set-url', remote, repo], cwd=dest, check=True)
        res['remote_url_changed'] = url_changed
        if CHECK:
            rh = remote_head(dest, version, remote, False)
            res.update(changed=(res['before'] != rh or url_changed), after=rh)
            return res
        fetch = ['fetch']
        refspecs = []
        if depth:
            cur = head_branch(dest, remote)
            if a.get('refspec'):
                refspecs.append(a['refspec'])
            elif version == 'HEAD':
                refspecs.append(cur)
            elif is_remote_branch(repo, version, dest):
                if cur != version:
                    refspecs.append('+refs/heads/%s:refs/heads/%s' % (version, version))
                refspecs.append('+refs/heads/%s:refs/remotes/%s/%s' % (version, remote, version))
            elif is_remote_tag(repo, version, dest):
                refspecs.append('+refs/tags/' + version + ':refs/tags/' + version)
            if refspecs:
                fetch += ['--depth', str(depth)]
        if not depth or not refspecs:
            if bare:
                refspecs = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']
            else:
                fetch.append('--tags')
            if a.get('refspec'):
                refspecs.append(a['refspec'])
        if force:
            fetch.append('--force')
        rc, out, err = git(fetch + [remote] + refspecs, cwd=dest)
        if rc != 0:
            fail('Failed to download remote objects and refs: %s %s' % (out, err), cmd=[GIT] + fetch + [remote] + refspecs)
        mods_done = mods
    if not bare:
        if version == 'HEAD':
            branch = head_branch(dest, remote)
            rc, out, err = git(['checkout', '--force', branch], cwd=dest)
            if rc != 0:
                fail('Failed to checkout branch %s' % branch, stdout=out, stderr=err, rc=rc)
            cmd = ['reset', '--hard', '%s/%s' % (remote, branch), '--']
        elif is_remote_branch(remote, version, dest):
            if not is_local_branch(dest, version):
                cmd = ['checkout', '--track', '-b', version, '%s/%s' % (remote, version)]
            else:
                rc, out, err = git(['checkout', '--force', version], cwd=dest)
                if rc != 0:
                    fail('Failed to checkout branch %s' % version, stdout=out, stderr=err, rc=rc)
                cmd = ['reset', '--hard', '%s/%s' % (remote, version)]
        else:
            cmd = ['checkout', '--force', version]
        rc, out, err = git(cmd, cwd=dest)
        if rc != 0:
            fail('Failed to checkout %s' % version, stdout=out, stderr=err, rc=rc, cmd=' '.join([GIT] + cmd))
    res['after'] = get_version(dest)
    if res['before'] != res['after'] or res.get('remote_url_changed'):
        res['changed'] = True
    return res
`;

export const gitModule: ModuleDef = {
  name: 'git',
  description: 'Clone or update a git checkout on the host (repo, version, dest, force, depth, update).',
  checkMode: 'full',
  argSpec: {
    repo: { type: 'str', required: true, aliases: ['name'], description: 'the repository URL (or path)' },
    dest: { type: 'path', description: 'where the checkout goes (required unless clone=no)' },
    version: { type: 'str', default: 'HEAD', description: 'branch, tag or commit to check out' },
    remote: { type: 'str', default: 'origin', description: 'the remote name' },
    force: { type: 'bool', default: false, description: 'discard local modifications' },
    depth: { type: 'int', description: 'shallow clone with this many commits' },
    update: { type: 'bool', default: true, description: 'fetch and move to version when the checkout exists' },
    clone: { type: 'bool', default: true, description: 'clone when dest does not exist' },
    bare: { type: 'bool', default: false, description: 'a bare repository' },
    refspec: { type: 'str', description: 'extra refspec to fetch' },
    single_branch: { type: 'bool', default: false, description: 'clone only the history of version' },
    reference: { type: 'str', description: 'git clone --reference' },
    accept_hostkey: { type: 'bool', default: false, description: 'ssh: StrictHostKeyChecking=no' },
    accept_newhostkey: { type: 'bool', default: false, description: 'ssh: StrictHostKeyChecking=accept-new' },
    key_file: { type: 'path', description: 'ssh private key for the repository' },
    ssh_opts: { type: 'str', description: 'extra ssh options' },
    executable: { type: 'path', description: 'the git binary' },
    umask: { type: 'raw', description: 'umask for the checkout (octal)' },
  },
  returns: { before: 'commit before (null for a new clone)', after: 'commit after', remote_url_changed: 'whether the remote URL was changed' },
  run: (args, ctx) => runPython(ctx, 'git', BODY, args, { timeoutMs: 600_000 }),
};
