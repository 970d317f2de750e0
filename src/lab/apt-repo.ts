import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError, must, run } from './run.js';

/** Debian packages the controller needs to build and run the lab. */
export const CONTROLLER_PACKAGES = ['openssh-server', 'openssh-client', 'iproute2', 'dpkg-dev', 'apt-utils', 'sudo', 'util-linux'];

/** Small packages for the lab's apt repository; tests rely on `tree` being there, and on liblz4-dev as the build-time package of the C-extension test package (ww-cext). */
export const REPO_PACKAGES = ['tree', 'sl', 'hello', 'liblz4-dev'];
/** Candidates for "a package that provides a Python module" (the first one absent on the controller wins). */
export const PYTHON_MODULE_PACKAGES = ['python3-termcolor', 'python3-docopt', 'python3-tabulate', 'python3-six', 'python3-simplejson'];

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

export async function isInstalled(pkg: string): Promise<boolean> {
  const r = await run('dpkg-query', ['-W', '-f=${Status}', pkg.replace(/:any$/, '')]);
  return r.code === 0 && r.stdout.includes('install ok installed');
}

async function missing(pkgs: string[]): Promise<string[]> {
  const flags = await Promise.all(pkgs.map(isInstalled));
  return pkgs.filter((_, i) => !flags[i]);
}

/** Install what the lab needs on the controller; `apt-get update` only if something is missing. */
export async function ensureControllerPackages(log: (m: string) => void): Promise<void> {
  const need = await missing(CONTROLLER_PACKAGES);
  if (!need.length) return;
  log(`lab: installing Debian packages on the controller: ${need.join(' ')}`);
  await must('apt-get', ['update', '-q'], { env: APT_ENV });
  await must('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...need], { env: APT_ENV });
}

/** Direct dependencies of `pkgs` that the controller does not satisfy (first alternative of each). One apt-cache call. */
async function unsatisfiedDeps(pkgs: string[]): Promise<string[]> {
  const out = await must('apt-cache', ['depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...pkgs]);
  // Per package: "  Depends: a" / "  |Depends: b" (an alternative to the next line) / "    provider" after a <virtual>.
  const groups: string[][] = [];
  let current: string[] = [];
  let continues = false;
  let lastVirtual = false;
  const flush = () => {
    if (current.length) groups.push(current);
    current = [];
  };
  for (const line of out.split('\n')) {
    if (/^\S/.test(line)) {
      flush();
      continues = false;
      lastVirtual = false;
      continue;
    }
    const dep = /^ {2}(\|?)(?:Pre)?Depends: (.+)$/.exec(line);
    if (dep) {
      if (!continues) flush();
      continues = dep[1] === '|';
      const name = dep[2]!.trim();
      lastVirtual = name.startsWith('<');
      if (!lastVirtual) current.push(name);
      continue;
    }
    if (/^ {2}\S/.test(line)) {
      lastVirtual = false;
      continue;
    }
    const provider = /^ {4}(\S+)$/.exec(line);
    if (provider && lastVirtual) current.push(provider[1]!);
  }
  flush();
  const result = new Set<string>();
  for (const alts of groups) {
    const ok = await Promise.all(alts.map(isInstalled));
    if (!ok.some(Boolean)) result.add(alts[0]!.replace(/:any$/, ''));
  }
  return [...result];
}

export interface AptRepo {
  dir: string;
  packages: string[]; // the requested packages (dependencies the controller lacks are in the repo too)
  pythonModulePackage: string;
}

/**
 * A local apt repository: `apt-get download` of small packages the controller does not have,
 * with any dependency the controller lacks, then `dpkg-scanpackages -m . > Packages`.
 */
export async function buildAptRepo(dir: string, log: (m: string) => void, cacheDir?: string): Promise<AptRepo> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const wanted = [...REPO_PACKAGES];
  for (const p of wanted) if (await isInstalled(p)) log(`lab: warning: ${p} is installed on the controller; tests that expect it absent there will fail`);
  let pythonModulePackage: string | undefined;
  for (const p of PYTHON_MODULE_PACKAGES) {
    if (!(await isInstalled(p))) {
      pythonModulePackage = p;
      break;
    }
  }
  if (!pythonModulePackage) throw new LabError(`lab: every Python module candidate is installed on the controller: ${PYTHON_MODULE_PACKAGES.join(', ')}`);
  wanted.push(pythonModulePackage);

  const cached = cacheDir ? await fromCache(cacheDir, dir, wanted) : false;
  if (cached) {
    log(`lab: apt repository from the download cache ${cacheDir}`);
  } else {
    await download(dir, wanted, log);
    if (cacheDir) await toCache(cacheDir, dir, wanted);
  }
  const packages = await must('dpkg-scanpackages', ['-m', '.'], { cwd: dir });
  await writeFile(join(dir, 'Packages'), packages);
  return { dir, packages: wanted, pythonModulePackage };
}

/*
 * The downloaded .debs are kept in a cache next to the lab dir (<labdir>.cache/debs, which labDown
 * keeps), keyed by the requested package list: a lab rebuilt after `lab down` needs no download.
 */
interface CacheManifest {
  wanted: string[];
  debs: string[];
}

async function fromCache(cacheDir: string, dir: string, wanted: string[]): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(join(cacheDir, 'manifest.json'), 'utf8')) as CacheManifest;
    if (JSON.stringify(m.wanted) !== JSON.stringify(wanted) || !m.debs.length) return false;
    await Promise.all(m.debs.map((d) => copyFile(join(cacheDir, d), join(dir, d))));
    return true;
  } catch {
    return false;
  }
}

async function toCache(cacheDir: string, dir: string, wanted: string[]): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const debs = (await readdir(dir)).filter((f) => f.endsWith('.deb'));
  await Promise.all(debs.map((d) => copyFile(join(dir, d), join(cacheDir, d))));
  const m: CacheManifest = { wanted, debs };
  await writeFile(join(cacheDir, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
}

async function download(dir: string, wanted: string[], log: (m: string) => void): Promise<void> {
  const all = new Set<string>(wanted);
  let frontier = [...wanted];
  while (frontier.length) {
    frontier = (await unsatisfiedDeps(frontier)).filter((d) => !all.has(d));
    for (const d of frontier) all.add(d);
  }
  const list = [...all];
  log(`lab: downloading into the lab apt repository: ${list.join(' ')}`);
  let r = await run('apt-get', ['download', '-q', ...list], { cwd: dir, env: APT_ENV, timeoutMs: 300_000 });
  if (r.code !== 0) {
    log('lab: apt-get download failed; refreshing the controller package lists once');
    await must('apt-get', ['update', '-q'], { env: APT_ENV });
    r = await run('apt-get', ['download', '-q', ...list], { cwd: dir, env: APT_ENV, timeoutMs: 300_000 });
    if (r.code !== 0) throw new LabError(`lab: apt-get download ${list.join(' ')} failed: ${r.stderr.trim()}`);
  }
  const debs = (await readdir(dir)).filter((f) => f.endsWith('.deb'));
  if (debs.length < list.length) throw new LabError(`lab: expected ${list.length} .deb files in ${dir}, found ${debs.length}`);
}
