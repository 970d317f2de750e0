/**
 * Filters the corpus needs beyond Jinja's and ansible.builtin's core set:
 * `password_hash` (ansible.builtin), community.general's `json_query` and `version_sort`.
 */
import { createHash, randomInt } from 'node:crypto';
import jmespath from 'jmespath';
import { encrypt as shaCrypt } from 'unixcrypt';
import { TemplateError } from '../undefined.js';
import { isDict, isInt, need, str, toPlain, typeName } from './py.js';
import { looseVersion, compareLooseVersions } from './version.js';
import type { FilterDef } from './filters.js';

function arg<T = unknown>(args: unknown[], kw: Record<string, unknown>, i: number, name: string, def?: T): T {
  if (args.length > i) return args[i] as T;
  if (Object.hasOwn(kw, name)) return kw[name] as T;
  return def as T;
}

// ---- password_hash: ansible.builtin's get_encrypted_password, with the crypt(3) backend Ansible
// 2.14 uses when passlib is absent (Debian's ansible-core does not pull python3-passlib in).

interface Algo {
  id: string;
  saltSize: number;
  implicitRounds?: number;
  saltExact: boolean;
}
const ALGOS: Record<string, Algo> = {
  md5_crypt: { id: '1', saltSize: 8, saltExact: false },
  bcrypt: { id: '2b', saltSize: 22, implicitRounds: 12, saltExact: true },
  sha256_crypt: { id: '5', saltSize: 16, implicitRounds: 535000, saltExact: false },
  sha512_crypt: { id: '6', saltSize: 16, implicitRounds: 656000, saltExact: false },
};
const HASHTYPES: Record<string, string> = { md5: 'md5_crypt', blowfish: 'bcrypt', sha256: 'sha256_crypt', sha512: 'sha512_crypt' };
const SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./';

function randomSalt(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SALT_CHARS[randomInt(SALT_CHARS.length)];
  return s;
}

const B64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function to64(v: number, n: number): string {
  let s = '';
  for (; n > 0; n--, v >>= 6) s += B64[v & 0x3f];
  return s;
}

/** md5-crypt (`$1$`, PHK's FreeBSD algorithm) as crypt(3): the salt is up to 8 characters, up to a '$'. */
function md5Crypt(password: string, setting: string): string {
  const salt = setting.slice(3).split('$')[0]!.slice(0, 8);
  const pw = Buffer.from(password, 'utf8');
  const md5 = (...parts: Buffer[]) => {
    const h = createHash('md5');
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const sb = Buffer.from(salt, 'utf8');
  const alt = md5(pw, sb, pw);
  const ctx: Buffer[] = [pw, Buffer.from('$1$'), sb];
  for (let l = pw.length; l > 0; l -= 16) ctx.push(alt.subarray(0, Math.min(16, l)));
  for (let i = pw.length; i; i >>= 1) ctx.push(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let fin = md5(...ctx);
  for (let i = 0; i < 1000; i++) {
    const parts: Buffer[] = [];
    parts.push(i & 1 ? pw : fin);
    if (i % 3) parts.push(sb);
    if (i % 7) parts.push(pw);
    parts.push(i & 1 ? fin : pw);
    fin = md5(...parts);
  }
  const f = fin;
  const out =
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2);
  return `$1$${salt}$${out}`;
}

/** crypt(3) of libxcrypt for the settings Ansible builds; undefined where crypt(3) fails. */
function crypt3(password: string, setting: string): string | undefined {
  if (setting.startsWith('$1$')) return md5Crypt(password, setting);
  const m = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]*)$/.exec(setting);
  if (!m) return undefined; // bcrypt without a cost field, an ident-less setting: crypt(3) refuses them
  const salt = m[3]!.slice(0, 16);
  const rounds = m[2] === undefined ? undefined : Number(m[2]);
  if (rounds !== undefined && (rounds < 1000 || rounds > 999999999)) return undefined; // libxcrypt refuses, glibc clamped
  return shaCrypt(password, `$${m[1]}$${rounds === undefined ? '' : `rounds=${rounds}$`}${salt}`);
}

/** Ansible's do_encrypt (passlib_or_crypt, crypt backend): `algorithm` as named there (`sha512_crypt`, ...). */
export function cryptHash(secret: string, algorithm: string, salt: string | null, ident: string | null): string {
  return passwordHash(secret, [], { hashtype: algorithm, salt, ident }, false);
}

/** Ansible's BaseHash.algorithms: salt size and implicit ident (the password lookup's salts). */
export function hashAlgorithm(name: string): { saltSize: number; implicitIdent?: string } | undefined {
  const a = Object.hasOwn(ALGOS, name) ? ALGOS[name] : undefined;
  return a && { saltSize: a.saltSize, implicitIdent: name === 'bcrypt' ? '2b' : undefined };
}

export function randomSaltText(n = 8): string {
  return randomSalt(n);
}

function passwordHash(password: unknown, args: unknown[], kw: Record<string, unknown>, mapNames = true): string {
  need(password);
  const hashtype0 = arg(args, kw, 0, 'hashtype', 'sha512');
  const salt0 = arg<unknown>(args, kw, 1, 'salt', null);
  const saltSize = arg<unknown>(args, kw, 2, 'salt_size', null);
  const rounds0 = arg<unknown>(args, kw, 3, 'rounds', null);
  const ident0 = arg<unknown>(args, kw, 4, 'ident', null);
  const hashtype = str(hashtype0);
  const algorithm = (mapNames ? HASHTYPES[hashtype] : undefined) ?? hashtype;
  const algo = ALGOS[algorithm];
  if (!algo) throw new TemplateError(`crypt.crypt does not support '${algorithm}' algorithm`);
  // salt: as given (must be crypt's alphabet, at most the size), else random of the size
  const size = saltSize !== null && saltSize !== undefined && saltSize !== 0 && saltSize !== '' ? saltSize : algo.saltSize;
  if (!isInt(size)) throw new TemplateError(`salt_size must be an integer, not ${typeName(size)}`);
  let salt: string;
  if (salt0 === null || salt0 === undefined || salt0 === '' || salt0 === false) salt = randomSalt(size as number);
  else {
    if (typeof salt0 !== 'string') throw new TemplateError(`expected string or bytes-like object, got '${typeName(salt0)}'`);
    salt = salt0;
  }
  if (/[^./0-9A-Za-z]/.test(salt)) throw new TemplateError('invalid characters in salt');
  if (algo.saltExact ? salt.length !== algo.saltSize : salt.length > algo.saltSize) throw new TemplateError('invalid salt size');
  let rounds: number | undefined;
  if (rounds0 !== null && rounds0 !== undefined && rounds0 !== algo.implicitRounds) {
    if (!isInt(rounds0) && typeof rounds0 !== 'boolean') throw new TemplateError(`%d format: a real number is required, not ${typeName(rounds0)}`);
    rounds = Number(rounds0);
  }
  // Ansible keeps a given ident for bcrypt only; for the others it then drops the crypt id itself
  const ident = ident0 === null || ident0 === undefined || ident0 === '' || ident0 === false ? algo.id : algorithm === 'bcrypt' ? str(ident0) : undefined;
  let setting = ident ? `$${ident}` : '';
  if (rounds) setting += `$rounds=${rounds}`;
  setting += `$${salt}`;
  if (typeof password !== 'string') throw new TemplateError(`crypt() argument 1 must be str, not ${typeName(password)}`);
  const out = crypt3(password, setting);
  // Ansible 2.14 (crypt backend) returns crypt(3)'s failure token '*0' as the hash here, a password
  // nobody can log in with; wheelwright fails instead (documented difference)
  if (!out) throw new TemplateError(`password_hash: crypt(3) cannot hash with '${algorithm}' and the setting '${setting.replace(/\$[^$]*$/, '$<salt>')}' (Ansible without passlib returns the failure token '*0' as the hash)`);
  return out;
}

// ---- community.general.json_query (jmespath)

function jsonQuery(data: unknown, expr: unknown): unknown {
  if (typeof expr !== 'string') throw new TemplateError(`Error in jmespath.search in json_query filter plugin:\n${typeName(expr)} is not a string`);
  try {
    const r = jmespath.search(toPlain(data), expr) as unknown;
    return r === undefined ? null : r;
  } catch (e) {
    throw new TemplateError(`JMESPathError in json_query filter plugin:\n${(e as Error).message}`);
  }
}

// ---- community.general.version_sort (LooseVersion order)

function versionSort(v: unknown, reverse: unknown): unknown[] {
  need(v);
  const items = Array.isArray(v) ? v : isDict(v) ? Object.keys(v) : typeof v === 'string' ? [...v] : undefined;
  if (!items) throw new TemplateError(`'${typeName(v)}' object is not iterable`);
  const keyed = items.map((x) => {
    if (typeof x !== 'string') throw new TemplateError(`expected string or bytes-like object, got '${typeName(x)}'`);
    return { x, k: looseVersion(x) };
  });
  const sign = reverse === true || (typeof reverse === 'number' && reverse !== 0) || (typeof reverse === 'string' && reverse !== '') ? -1 : 1;
  keyed.sort((a, b) => sign * compareLooseVersions(a.k, b.k));
  return keyed.map((e) => e.x);
}

export function moreFilterNames(): [string, FilterDef][] {
  const ph: FilterDef = { fn: (_c, v, a, kw) => passwordHash(v, a, kw) };
  const jq: FilterDef = { fn: (_c, v, a, kw) => jsonQuery(v, arg(a, kw, 0, 'expr')) };
  const vs: FilterDef = { fn: (_c, v, a, kw) => versionSort(v, arg(a, kw, 0, 'reverse', false)) };
  return [
    ['password_hash', ph],
    ['ansible.builtin.password_hash', ph],
    // Ansible 2.14 routes the short name json_query to community.general's (ansible_builtin_runtime.yml)
    ['json_query', jq],
    ['community.general.json_query', jq],
    ['community.general.version_sort', vs],
  ];
}
