/**
 * `wheelwright wheels <requirements.txt> -w DIR [--find-links DIR ...] [-c FILE ...] [--python PY]`:
 * build wheels for every requirement and its closure into DIR, with a builder venv (setuptools +
 * wheel, from the distro's wheels and the find-links) kept apart from the venvs it serves.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalConnection } from '../connection/local.js';
import { EXIT } from '../errors.js';
import { buildWheels } from '../venv/ensure.js';
import { parseRequirementsFile, systemWheelDirs, venvCacheDir } from '../venv/local.js';
import { reportError, UsageError } from './venv.js';

export const WHEELS_USAGE = `usage:
  wheelwright wheels <requirements.txt> -w DIR [--find-links DIR ...] [-c FILE ...] [--python PY]
                     [--pins FILE] [-q]

Builds a wheel for every requirement and its dependency closure into DIR (pip wheel, no build
isolation, from a builder venv holding setuptools and wheel). With --find-links pip uses only
those (--no-index). --pins FILE writes name==version for every wheel of the closure.
`;

export async function wheelsCli(args: string[]): Promise<number> {
  try {
    let wheelDir: string | undefined;
    let pins: string | undefined;
    let python = process.env.WHEELWRIGHT_PYTHON || 'python3';
    let quiet = false;
    const findLinks: string[] = [];
    const constraintFiles: string[] = [];
    const positional: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const eq = a.startsWith('--') ? a.indexOf('=') : -1;
      const name = eq > 0 ? a.slice(0, eq) : a;
      const value = (): string => {
        if (eq > 0) return a.slice(eq + 1);
        const v = args[++i];
        if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
        return v;
      };
      switch (name) {
        case '-w':
        case '--wheel-dir':
          wheelDir = resolve(value());
          break;
        case '-f':
        case '--find-links':
        {
          const v = value();
          findLinks.push(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : resolve(v));
        }
          break;
        case '-c':
        case '--constraint':
          constraintFiles.push(value());
          break;
        case '--python':
          python = value();
          break;
        case '--pins':
          pins = resolve(value());
          break;
        case '-q':
        case '--quiet':
          quiet = true;
          break;
        case '-h':
        case '--help':
          throw new UsageError('');
        default:
          if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
          positional.push(a);
      }
    }
    if (positional.length !== 1) throw new UsageError('wheels takes one <requirements.txt>');
    if (!wheelDir) throw new UsageError('-w DIR is required');
    const req = parseRequirementsFile(positional[0]);
    const constraints = [...req.constraints];
    const links = [...findLinks, ...req.findLinks];
    for (const c of constraintFiles) {
      const parsed = parseRequirementsFile(c, true);
      constraints.push(...parsed.constraints);
      links.push(...parsed.findLinks);
    }
    for (const d of links) {
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(d) && !existsSync(d)) throw new UsageError(`find-links directory ${d} does not exist`);
    }
    const noIndex = links.length > 0;
    const sys = systemWheelDirs();
    const builderLinks = [...sys, ...links];
    const r = await buildWheels(
      new LocalConnection(),
      {
        builder: {
          path: join(venvCacheDir(), 'builder-{pyver}-{hash}'),
          python,
          requirements: ['setuptools', 'wheel'],
          findLinks: builderLinks,
          noIndex: builderLinks.length > 0,
          isolated: builderLinks.length > 0,
          packageState: 'present',
          stampUse: true,
        },
        wheelDir,
        requirements: req.requirements,
        constraints,
        findLinks: links,
        noIndex,
        isolated: noIndex,
        pipArgs: ['--no-build-isolation'],
        pinsFile: pins,
      },
      { onLog: quiet ? undefined : (l) => process.stderr.write(`${l}\n`) },
    );
    if (!quiet) process.stderr.write(`${r.wheels.length} wheel(s) in ${r.wheelDir}: ${r.pins.join(' ')}\n`);
    for (const w of r.wheels) process.stdout.write(`${join(r.wheelDir, w)}\n`);
    return EXIT.ok;
  } catch (e) {
    return reportError(e, WHEELS_USAGE);
  }
}
