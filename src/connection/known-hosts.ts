/**
 * OpenSSH known_hosts checking for the SSH transport.
 *
 * Supported: plain host patterns (comma-separated, `*`/`?` wildcards, `!` negation), `[host]:port`
 * entries for non-22 ports, hashed entries (`|1|salt|hash`, HMAC-SHA1), `@revoked` (a revoked key is
 * refused), `@cert-authority` (ignored: certificates are not supported), any key type (compared by
 * raw key blob). Appends (accept-new) are serialized per file within the process and use O_APPEND.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  /** Raw patterns field: `a,b,[c]:2222` or `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  key: Buffer;
  file?: string;
  line?: number;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(address: string, port = 22): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** `SHA256:<base64 without padding>` as printed by OpenSSH. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`...). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Parse known_hosts text. Malformed lines are skipped (OpenSSH does the same). */
export function parseKnownHosts(text: string, file?: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue; // unknown marker: ignore the line
    }
    if (fields.length < 3) continue;
    const [hosts, keyType, b64] = fields;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) continue;
    out.push({ marker, hosts, keyType, key, file, line: i + 1 });
  }
  return out;
}

/** OpenSSH wildcard pattern (`*`, `?`), case-insensitive. */
function wildcardMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$',
    'i',
  );
  return re.test(name);
}

function hashedMatch(field: string, name: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const parts = field.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && got.equals(want);
}

/** Does this entry's host field match `name` (the knownHostName form)? */
export function entryMatches(entry: Pick<KnownHostEntry, 'hosts'>, name: string): boolean {
  if (entry.hosts.startsWith('|')) return hashedMatch(entry.hosts, name);
  let positive = false;
  for (const raw of entry.hosts.split(',')) {
    if (!raw) continue;
    if (raw.startsWith('!')) {
      if (wildcardMatch(raw.slice(1), name)) return false; // a negated match excludes the whole entry
    } else if (wildcardMatch(raw, name)) {
      positive = true;
    }
  }
  return positive;
}

export type HostKeyVerdict =
  | { ok: true; status: 'known' | 'added' | 'unchecked' }
  | { ok: false; status: 'unknown' | 'changed' | 'revoked'; reason: string };

export interface HostKeyCheckOptions {
  mode: HostKeyChecking;
  /** Files read, in order (missing files are fine). */
  files: string[];
  /** File accept-new appends to. */
  writeFile: string;
}

/** The default files: the user's ~/.ssh/known_hosts, the system-wide one, then the configured one. */
export function defaultKnownHostsFiles(configured?: string): { files: string[]; writeFile: string } {
  const user = join(homedir(), '.ssh', 'known_hosts');
  const files = [user, '/etc/ssh/ssh_known_hosts'];
  if (configured) files.push(configured);
  return { files, writeFile: configured ?? user };
}

async function readEntries(files: string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw e;
    }
    all.push(...parseKnownHosts(text, f));
  }
  return all;
}

/** Key types already known for `name` (used to make the server offer a known type first). */
export async function knownKeyTypes(files: string[], name: string): Promise<string[]> {
  const entries = await readEntries(files);
  const types = new Set<string>();
  for (const e of entries) if (!e.marker && entryMatches(e, name)) types.add(e.keyType);
  return [...types];
}

function judge(entries: KnownHostEntry[], name: string, display: string, key: Buffer): HostKeyVerdict | undefined {
  const matching = entries.filter((e) => entryMatches(e, name));
  const fp = fingerprint(key);
  if (matching.some((e) => e.marker === 'revoked' && e.key.equals(key))) {
    return { ok: false, status: 'revoked', reason: `host key for ${display} is REVOKED in known_hosts (${keyTypeOf(key)} ${fp}); refusing to connect` };
  }
  const plain = matching.filter((e) => !e.marker);
  if (plain.some((e) => e.key.equals(key))) return { ok: true, status: 'known' };
  if (plain.length > 0) {
    const where = plain[0].file ? ` (known_hosts entry: ${plain[0].file}:${plain[0].line})` : '';
    const types = [...new Set(plain.map((e) => e.keyType))].join(', ');
    return {
      ok: false,
      status: 'changed',
      reason:
        `HOST KEY CHANGED for ${display}: the server offered ${keyTypeOf(key)} ${fp}, which does not match the ` +
        `${types} key recorded${where}. Someone could be eavesdropping (man-in-the-middle), or the host key was ` +
        `replaced; if the change is expected, remove the old entry (ssh-keygen -R '${name}').`,
    };
  }
  return undefined;
}

const appendLocks = new Map<string, Promise<unknown>>();

/** Run `fn` after every earlier call for the same file has settled (per-process serialization). */
function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const prev = appendLocks.get(file) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const tail = next.catch(() => undefined);
  appendLocks.set(file, tail);
  void tail.then(() => {
    if (appendLocks.get(file) === tail) appendLocks.delete(file);
  });
  return next;
}

/**
 * Check `key` (raw SSH public key blob) offered by `address:port`.
 * strict: unknown or changed → refused. accept-new: unknown → appended (exactly once, even when many
 * connections race), changed → refused. off: anything accepted, nothing written.
 */
export async function checkHostKey(
  opts: HostKeyCheckOptions,
  address: string,
  port: number,
  key: Buffer,
): Promise<HostKeyVerdict> {
  if (opts.mode === 'off') return { ok: true, status: 'unchecked' };
  const name = knownHostName(address, port);
  const display = port === 22 ? address : `${address}:${port}`;
  const first = judge(await readEntries(opts.files), name, display, key);
  if (first) return first;
  if (opts.mode !== 'accept-new') {
    return {
      ok: false,
      status: 'unknown',
      reason:
        `host key for ${display} is not known (add it to known_hosts, or use --host-key-checking accept-new); ` +
        `the server offered ${keyTypeOf(key)} ${fingerprint(key)}`,
    };
  }
  return withFileLock(opts.writeFile, async () => {
    // Re-read under the lock: another connection to the same host may have added it meanwhile.
    const again = judge(await readEntries(opts.files), name, display, key);
    if (again) return again;
    await appendKnownHost(opts.writeFile, name, key);
    return { ok: true, status: 'added' } as const;
  });
}

/** Append one `name type base64` line with O_APPEND (creating ~/.ssh-like parents with 0700). */
export async function appendKnownHost(file: string, name: string, key: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const cur = await readFile(file);
    if (cur.length > 0 && cur[cur.length - 1] !== 0x0a) prefix = '\n';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const line = `${prefix}${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
  await appendFile(file, line, { flag: 'a', mode: 0o600 });
}
