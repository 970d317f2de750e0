import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, basename, sep } from 'node:path';
import { statSync } from 'node:fs';
import type { ModuleDef, ModuleResult } from './types.js';
import { runPython } from './lib/py.js';

/** The remote half: stat and sha1 the file, and send its content only when the local copy differs. */
const BODY = String.raw`
import base64
def main():
    src = os.path.expanduser(ARGS['src'])
    if not os.path.exists(src):
        return {'state': 'missing', 'file': src}
    if os.path.isdir(src):
        return {'state': 'dir', 'file': src}
    try:
        sha = sha1_file(src)
    except (IOError, OSError) as e:
        return {'state': 'unreadable', 'file': src, 'error': str(e)}
    res = {'state': 'file', 'file': src, 'checksum': sha}
    if sha != ARGS['local_checksum']:
        res['content'] = base64.b64encode(read_bytes(src)).decode()
    return res
`;

async function localSha1(path: string): Promise<string | undefined> {
  try {
    return createHash('sha1').update(await readFile(path)).digest('hex');
  } catch {
    return undefined;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export const fetchModule: ModuleDef<{ src: string; dest: string; flat: boolean; fail_on_missing: boolean; validate_checksum: boolean }> = {
  name: 'fetch',
  description: 'Copy a file from the host to the controller (dest/<inventory_hostname>/<src path>, or dest itself with flat).',
  notes: 'Skipped in check mode, as in Ansible. One round trip: the host sends the content only when the local copy differs (sha1). A relative dest is relative to the playbook directory.',
  checkMode: 'none',
  argSpec: {
    src: { type: 'str', required: true, description: 'the file on the host (not a directory)' },
    dest: { type: 'str', required: true, description: 'controller directory (or file with flat)' },
    flat: { type: 'bool', default: false, description: 'dest is the file itself (or a directory ending in / for the basename)' },
    fail_on_missing: { type: 'bool', default: true, description: 'fail when src is missing or unreadable' },
    validate_checksum: { type: 'bool', default: true, description: 'check the copy against the remote checksum' },
  },
  returns: { changed: 'whether the local copy was written', checksum: 'sha1 of the local copy', md5sum: 'md5 of the local copy', remote_checksum: 'sha1 on the host', remote_md5sum: 'always null', dest: 'the local path', file: 'the remote path (when not copied)' },
  async run(args, ctx): Promise<ModuleResult> {
    if (ctx.check) return { changed: false, skipped: true, msg: 'check mode not (yet) supported for this module' };
    const abs = (p: string) => (isAbsolute(p) ? p : join(ctx.playbookDir, p));
    let dest: string;
    const srcPath = args.src;
    if (args.flat) {
      if (isDir(args.dest) && !args.dest.endsWith(sep)) return { changed: false, failed: true, msg: 'dest is an existing directory, use a trailing slash if you want to fetch src into that directory' };
      dest = args.dest.endsWith(sep) ? join(args.dest, basename(srcPath)) : args.dest;
      dest = abs(dest);
    } else {
      dest = `${abs(args.dest)}/${ctx.host}/${srcPath}`;
    }
    dest = normalize(dest);
    const before = await localSha1(dest);
    const r = await runPython(ctx, 'fetch', BODY, { src: srcPath, local_checksum: before ?? '' }, { check: false });
    if (r.failed) return r;
    if (r.state !== 'file') {
      const msg =
        r.state === 'dir' ? 'remote file is a directory, fetch cannot work on directories' : r.state === 'missing' ? 'the remote file does not exist, not transferring, ignored' : `file is not readable: ${srcPath}`;
      if (!args.fail_on_missing) return { changed: false, file: r.file, msg: r.state === 'dir' ? `${msg}, not transferring, ignored` : msg };
      return { changed: false, failed: true, msg };
    }
    const remote = String(r.checksum);
    if (r.content === undefined) {
      const data = await readFile(dest);
      return { changed: false, md5sum: createHash('md5').update(data).digest('hex'), file: r.file, dest, checksum: before };
    }
    const data = Buffer.from(String(r.content), 'base64');
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.ww-tmp-${process.pid}`;
    await writeFile(tmp, data);
    await rename(tmp, dest);
    const sum = createHash('sha1').update(data).digest('hex');
    const md5 = createHash('md5').update(data).digest('hex');
    if (args.validate_checksum && sum !== remote) {
      return { changed: false, failed: true, md5sum: md5, msg: 'checksum mismatch', file: r.file, dest, remote_md5sum: null, checksum: sum, remote_checksum: remote };
    }
    return { changed: true, md5sum: md5, dest, remote_md5sum: null, checksum: sum, remote_checksum: remote };
  },
};
