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
import { reportError } from './venv.js';
import { helpText, parseCommand, UsageError, type CommandDecl } from './options.js';

export const WHEELS = {
  name: 'wheels',
  usage: ['wheels <requirements.txt> -w DIR [options]'],
  about:
    'Builds a wheel for every requirement and its dependency closure into DIR (pip wheel, no build\n' +
    'isolation, from a builder venv holding setuptools and wheel). With --find-links pip uses only\n' +
    'those (--no-index).',
  options: {
    'wheel-dir': { type: 'string', short: 'w', arg: 'DIR', help: 'where the wheels go (required)' },
    'find-links': { type: 'string', short: 'f', multiple: true, arg: 'DIR|URL', help: 'where pip finds distributions (then no index)' },
    constraint: { type: 'string', short: 'c', multiple: true, arg: 'FILE', help: 'a constraints file' },
    python: { type: 'string', arg: 'PY', help: 'the Python to build with (default $WHEELWRIGHT_PYTHON or python3)' },
    pins: { type: 'string', arg: 'FILE', help: 'write name==version of every wheel of the closure' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress on stderr' },
  },
} as const satisfies CommandDecl;

export async function wheelsCli(args: string[]): Promise<number> {
  try {
    const { values, positionals: positional, help } = parseCommand(WHEELS, args);
    if (help) {
      process.stdout.write(helpText(WHEELS));
      return EXIT.ok;
    }
    const wheelDir = values['wheel-dir'] === undefined ? undefined : resolve(values['wheel-dir']);
    const pins = values.pins === undefined ? undefined : resolve(values.pins);
    const python = values.python ?? (process.env.WHEELWRIGHT_PYTHON || 'python3');
    const quiet = values.quiet === true;
    const findLinks = (values['find-links'] ?? []).map((v) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : resolve(v)));
    const constraintFiles = values.constraint ?? [];
    if (positional.length !== 1) throw new UsageError('wheels takes one <requirements.txt>', WHEELS);
    if (!wheelDir) throw new UsageError('-w DIR is required', WHEELS);
    const req = parseRequirementsFile(positional[0]!, false, { allowNetwork: true });
    const constraints = [...req.constraints];
    const links = [...findLinks, ...req.findLinks];
    for (const c of constraintFiles) {
      const parsed = parseRequirementsFile(c, true, { allowNetwork: true });
      constraints.push(...parsed.constraints);
      links.push(...parsed.findLinks);
    }
    for (const d of links) {
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(d) && !existsSync(d)) throw new UsageError(`find-links directory ${d} does not exist`, WHEELS);
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
    return reportError(e, WHEELS);
  }
}
