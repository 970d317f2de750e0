/**
 * Ansible Vault (format 1.1/1.2, AES256), interoperable with ansible-vault both ways. As in
 * ansible-core's parsing/vault: PBKDF2-HMAC-SHA256 (10 000 iterations) of the password and a
 * 32-byte salt gives 80 bytes: the AES-256-CTR key, the HMAC-SHA256 key and the 16-byte counter
 * block; the plaintext is PKCS#7-padded; the payload is hex(hex(salt) \n hex(hmac) \n hex(data))
 * in 80-column lines under `$ANSIBLE_VAULT;1.1;AES256` (1.2 adds the vault id label).
 *
 * Secrets and plaintexts never go into an error message.
 */
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';

export const VAULT_HEADER = '$ANSIBLE_VAULT';

export interface VaultSecret {
  /** vault id label ('default' when none was given) */
  label: string;
  password: Buffer;
}

export function isVaultText(text: string | Buffer): boolean {
  const s = typeof text === 'string' ? text : text.subarray(0, VAULT_HEADER.length + 1).toString('latin1');
  return s.trimStart().startsWith(`${VAULT_HEADER};`);
}

function derive(password: Buffer, salt: Buffer): { key: Buffer; hmacKey: Buffer; iv: Buffer } {
  const d = pbkdf2Sync(password, salt, 10000, 80, 'sha256');
  return { key: d.subarray(0, 32), hmacKey: d.subarray(32, 64), iv: d.subarray(64, 80) };
}

function pkcs7Pad(b: Buffer): Buffer {
  const n = 16 - (b.length % 16);
  return Buffer.concat([b, Buffer.alloc(n, n)]);
}

function pkcs7Unpad(b: Buffer): Buffer {
  const n = b[b.length - 1] ?? 0;
  if (n < 1 || n > 16 || n > b.length || !b.subarray(b.length - n).every((x) => x === n)) throw new Error('bad padding');
  return b.subarray(0, b.length - n);
}

/** Encrypt to an ansible-vault envelope (newline-terminated, 80 columns). */
export function vaultEncrypt(plaintext: string | Buffer, secret: VaultSecret, salt: Buffer = randomBytes(32)): string {
  const { key, hmacKey, iv } = derive(secret.password, salt);
  const c = createCipheriv('aes-256-ctr', key, iv);
  const data = Buffer.concat([c.update(pkcs7Pad(Buffer.from(plaintext))), c.final()]);
  const mac = createHmac('sha256', hmacKey).update(data).digest();
  const inner = `${salt.toString('hex')}\n${mac.toString('hex')}\n${data.toString('hex')}`;
  const hex = Buffer.from(inner).toString('hex');
  const labelled = secret.label && secret.label !== 'default';
  const lines = [labelled ? `${VAULT_HEADER};1.2;AES256;${secret.label}` : `${VAULT_HEADER};1.1;AES256`];
  for (let i = 0; i < hex.length; i += 80) lines.push(hex.slice(i, i + 80));
  return lines.join('\n') + '\n';
}

/** The label of an envelope (1.2), if any. */
export function vaultLabel(envelope: string): string | undefined {
  const parts = envelope.trimStart().split(/\r?\n/, 1)[0]!.split(';');
  return parts.length >= 4 ? parts[3]!.trim() : undefined;
}

/**
 * Decrypt an envelope with the first secret that opens it (the one whose label matches first, as
 * Ansible tries them). `where` names the file (or file:line) in errors.
 */
export function vaultDecrypt(envelope: string, secrets: readonly VaultSecret[], where: string): Buffer {
  const lines = envelope.trim().split(/\r?\n/).map((l) => l.trim());
  const header = lines[0]!.split(';');
  if (header[0] !== VAULT_HEADER || header.length < 3) throw new UserError(`${where}: not an Ansible Vault envelope`);
  if (header[2]!.trim() !== 'AES256') throw new UserError(`${where}: vault cipher '${header[2]}' is not supported (only AES256)`);
  if (secrets.length === 0) {
    throw new UserError(`${where}: is vault-encrypted and no vault secret was given (use --vault-password-file, --vault-id, --ask-vault-pass or ANSIBLE_VAULT_PASSWORD_FILE)`);
  }
  let salt: Buffer, mac: Buffer, data: Buffer;
  try {
    const inner = Buffer.from(lines.slice(1).join(''), 'hex').toString('latin1').split('\n');
    if (inner.length !== 3) throw new Error('format');
    [salt, mac, data] = inner.map((h) => Buffer.from(h, 'hex')) as [Buffer, Buffer, Buffer];
    if (salt.length === 0 || mac.length !== 32) throw new Error('format');
  } catch {
    throw new UserError(`${where}: the vault envelope is damaged (not the hex payload ansible-vault writes)`);
  }
  const label = vaultLabel(envelope);
  const ordered = [...secrets.filter((s) => s.label === label), ...secrets.filter((s) => s.label !== label)];
  for (const s of ordered) {
    const { key, hmacKey, iv } = derive(s.password, salt);
    const expected = createHmac('sha256', hmacKey).update(data).digest();
    if (!timingSafeEqual(expected, mac)) continue;
    const d = createDecipheriv('aes-256-ctr', key, iv);
    try {
      return pkcs7Unpad(Buffer.concat([d.update(data), d.final()]));
    } catch {
      continue;
    }
  }
  throw new UserError(`${where}: no vault secret given opens it (wrong password, or a vault id that was not given)`);
}

/**
 * A password from a file, as Ansible reads it: the file's content stripped of surrounding
 * whitespace, or, for an executable file, what it prints (stripped of line ends).
 */
export function passwordFromFile(file: string, label = 'default'): VaultSecret {
  let executable = false;
  try {
    accessSync(file, constants.X_OK);
    executable = true;
  } catch {
    executable = false;
  }
  let raw: Buffer;
  try {
    raw = executable ? execFileSync(resolve(file), label !== 'default' ? ['--vault-id', label] : [], { stdio: ['ignore', 'pipe', 'pipe'] }) : readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`vault password file ${file}: ${code === 'ENOENT' ? 'not found' : executable ? 'the script failed' : 'cannot be read'}`);
  }
  const text = executable ? raw.toString('utf8').replace(/^[\r\n]+|[\r\n]+$/g, '') : raw.toString('utf8').trim();
  if (text === '') throw new UserError(`vault password file ${file} is empty`);
  return { label, password: Buffer.from(text, 'utf8') };
}

/** `--vault-id [label@]source` (source: a file, an executable, or `prompt`). */
export async function secretFromVaultId(id: string, ask: (prompt: string) => Promise<string>): Promise<VaultSecret> {
  const at = id.indexOf('@');
  const label = at > 0 ? id.slice(0, at) : 'default';
  const source = at > 0 ? id.slice(at + 1) : id;
  if (source === 'prompt') return { label, password: Buffer.from(await ask(`Vault password (${label}): `), 'utf8') };
  return passwordFromFile(source, label);
}

/** The secrets of this run, for everything that reads YAML (inventory, playbooks, vars files). */
let keyring: VaultSecret[] = [];

export function setVaultSecrets(secrets: VaultSecret[]): void {
  keyring = secrets;
}

export function vaultSecrets(): readonly VaultSecret[] {
  return keyring;
}

/** A whole file's text: decrypted when it is a vault envelope, else as it is. */
export function decryptIfVault(text: string, where: string): string {
  return isVaultText(text) ? vaultDecrypt(text, keyring, where).toString('utf8') : text;
}

/**
 * The `!vault` YAML tag: decrypted when secrets were given; without any, kept as
 * `{ __ansible_vault: text }` (what ansible-inventory shows), so files load without a password as
 * long as the value is not needed.
 */
export const vaultYamlTag = {
  tag: '!vault',
  resolve: (s: string): unknown => (keyring.length ? vaultDecrypt(s, keyring, 'a !vault value').toString('utf8') : { __ansible_vault: s }),
};
