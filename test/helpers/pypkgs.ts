/**
 * Small Python packages for the venv/wheel tests, buildable offline with
 * `pip wheel --no-index --no-build-isolation --find-links /usr/share/python-wheels --find-links <sdists>`.
 *
 * The sources live in test/fixtures/pypkgs/; makeTestPackages(dir) turns them into
 *   <dir>/sdists/    ww_alpha-1.0.tar.gz, ww_alpha-2.0.tar.gz, ww_beta-1.0.tar.gz, ww_gamma-1.0.tar.gz,
 *                    ww_cext-1.0.tar.gz, ww_broken-1.0.tar.gz  (use it as a --find-links dir)
 *   <dir>/git/ww-gitpkg   a git repository, one commit, tag v1.0 (git+file://<dir>/git/ww-gitpkg@v1.0#egg=ww-gitpkg)
 * Written once per fixture content (a stamp file records a hash of the sources), so calling it
 * from every test file costs nothing after the first.
 *
 * ww-cext includes <lz4.h> and links -llz4: it builds only where liblz4-dev is installed (the
 * runtime liblz4-1 is on every Debian 12 host). This machine has liblz4-1 but not liblz4-dev,
 * so the lab's local apt repository must carry liblz4-dev for the "build packages matter" test.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** Where the fixture sources are (test/fixtures/pypkgs). */
export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'pypkgs');

/** The Debian package ww-cext needs at build time, its header, and the runtime library it links. */
export const CEXT_DEV_PACKAGE = 'liblz4-dev';
export const CEXT_HEADER = 'lz4.h';
export const CEXT_RUNTIME_PACKAGE = 'liblz4-1';

export interface TestPackages {
  /** Root the packages were written to. */
  dir: string;
  /** Directory of sdists: pass as --find-links (extra find-links of a build). */
  sdists: string;
  /** sdist paths by `<name>-<version>`. */
  files: Record<'ww-alpha-1.0' | 'ww-alpha-2.0' | 'ww-beta-1.0' | 'ww-gamma-1.0' | 'ww-cext-1.0' | 'ww-broken-1.0', string>;
  /** The local git repository of ww-gitpkg (tag v1.0). */
  gitRepo: string;
  /** Requirement for it: git+file://<gitRepo>@v1.0#egg=ww-gitpkg */
  gitRequirement: string;
  /** The version its wheel gets (a dev version, as git builds usually have). */
  gitVersion: string;
  /** Debian package ww-cext needs at build time, and whether it is installed on this machine. */
  cextDevPackage: string;
  cextHeader: string;
  cextDevInstalled: boolean;
}

const SDISTS: Array<{ key: keyof TestPackages['files']; src: string; name: string; version: string }> = [
  { key: 'ww-alpha-1.0', src: 'ww-alpha-1.0', name: 'ww-alpha', version: '1.0' },
  { key: 'ww-alpha-2.0', src: 'ww-alpha-2.0', name: 'ww-alpha', version: '2.0' },
  { key: 'ww-beta-1.0', src: 'ww-beta-1.0', name: 'ww-beta', version: '1.0' },
  { key: 'ww-gamma-1.0', src: 'ww-gamma-1.0', name: 'ww-gamma', version: '1.0' },
  { key: 'ww-cext-1.0', src: 'ww-cext-1.0', name: 'ww-cext', version: '1.0' },
  { key: 'ww-broken-1.0', src: 'ww-broken-1.0', name: 'ww-broken', version: '1.0' },
];
const GIT_VERSION = '1.0.dev20240101';
const GENERATOR_VERSION = '1';

/** The paths makeTestPackages(dir) produces, without writing anything (e.g. for a copy on another host). */
export function testPackagePaths(dir: string): TestPackages {
  const sdists = join(dir, 'sdists');
  const files = {} as TestPackages['files'];
  for (const s of SDISTS) files[s.key] = join(sdists, `${sdistStem(s.name, s.version)}.tar.gz`);
  const gitRepo = join(dir, 'git', 'ww-gitpkg');
  return {
    dir,
    sdists,
    files,
    gitRepo,
    gitRequirement: `git+file://${gitRepo}@v1.0#egg=ww-gitpkg`,
    gitVersion: GIT_VERSION,
    cextDevPackage: CEXT_DEV_PACKAGE,
    cextHeader: CEXT_HEADER,
    cextDevInstalled: debInstalled(CEXT_DEV_PACKAGE),
  };
}

/** Write the packages into `dir` (once per fixture content) and return where they are. */
export async function makeTestPackages(dir: string): Promise<TestPackages> {
  const paths = testPackagePaths(dir);
  const stampFile = join(dir, '.ww-pypkgs-stamp');
  const stamp = fixtureHash();
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && allPresent(paths)) return paths;

  mkdirSync(dir, { recursive: true });
  rmSync(stampFile, { force: true });
  rmSync(paths.sdists, { recursive: true, force: true });
  rmSync(join(dir, 'git'), { recursive: true, force: true });
  mkdirSync(paths.sdists, { recursive: true });

  for (const s of SDISTS) {
    const stem = sdistStem(s.name, s.version);
    const staging = join(dir, '.staging');
    rmSync(staging, { recursive: true, force: true });
    cpSync(join(FIXTURE_DIR, s.src), join(staging, stem), { recursive: true });
    writeFileSync(join(staging, stem, 'PKG-INFO'), `Metadata-Version: 1.0\nName: ${s.name}\nVersion: ${s.version}\n`);
    const tar = execFileSync(
      'tar',
      ['--sort=name', '--mtime=@1700000000', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '-C', staging, stem],
      { maxBuffer: 64 << 20 },
    );
    writeFileSync(paths.files[s.key], gzipSync(tar));
    rmSync(staging, { recursive: true, force: true });
  }

  cpSync(join(FIXTURE_DIR, 'ww-gitpkg'), paths.gitRepo, { recursive: true });
  const gitEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'wheelwright tests',
    GIT_AUTHOR_EMAIL: 'tests@wheelwright.invalid',
    GIT_COMMITTER_NAME: 'wheelwright tests',
    GIT_COMMITTER_EMAIL: 'tests@wheelwright.invalid',
    GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  const git = (...args: string[]) => execFileSync('git', ['-C', paths.gitRepo, ...args], { env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'ww-gitpkg 1.0.dev');
  git('tag', 'v1.0');

  writeFileSync(stampFile, stamp);
  return paths;
}

/** A tar.gz of the whole package dir (sdists and git repository), to unpack on another host: `tar xzf - -C <dir>`. */
export function packTree(dir: string): Buffer {
  const tar = execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '-C', dir, '.'], {
    maxBuffer: 256 << 20,
  });
  return gzipSync(tar);
}

/** Is a Debian package installed here (dpkg-query status "install ok installed")? */
export function debInstalled(pkg: string): boolean {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return out.trim() === 'install ok installed';
  } catch {
    return false;
  }
}

function sdistStem(name: string, version: string): string {
  return `${name.replace(/-/g, '_')}-${version}`;
}

function allPresent(p: TestPackages): boolean {
  return Object.values(p.files).every((f) => existsSync(f)) && existsSync(join(p.gitRepo, '.git'));
}

function fixtureHash(): string {
  const h = createHash('sha256').update(`generator ${GENERATOR_VERSION}\n`);
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(`${relative(FIXTURE_DIR, p)}\0`).update(readFileSync(p)).update('\0');
    }
  };
  walk(FIXTURE_DIR);
  return h.digest('hex');
}
