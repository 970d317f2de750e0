/**
 * `wheelwright vault encrypt|decrypt|view|encrypt_string|create|edit|rekey`: files ansible-vault
 * reads, and reads what ansible-vault writes. And the vault options of the playbook and inventory commands.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { EXIT, UserError } from '../errors.js';
import { helpText, parseCommand, UsageError, type CommandDecl, type OptionDecl } from './options.js';
import { isVaultText, passwordFromFile, secretFromVaultId, setVaultSecrets, vaultDecrypt, vaultEncrypt, vaultLabel, type VaultSecret } from '../vault/index.js';

/** The vault options, shared by the playbook, inventory and vault commands. */
export const VAULT_OPTIONS = {
  'vault-password-file': { type: 'string', multiple: true, arg: 'FILE', help: 'vault password file (or executable printing it); also ANSIBLE_VAULT_PASSWORD_FILE' },
  'vault-id': { type: 'string', multiple: true, arg: '[LABEL@]SOURCE', help: 'vault id: a password file, an executable, or prompt' },
  'ask-vault-pass': { type: 'boolean', help: 'ask for the vault password (needs a terminal)' },
} as const satisfies Record<string, OptionDecl>;

type VaultValues = { 'vault-password-file'?: string[]; 'vault-id'?: string[]; 'ask-vault-pass'?: boolean };

/**
 * The run's vault secrets from the options, then ANSIBLE_VAULT_PASSWORD_FILE / the configured
 * vault_password_file (as Ansible adds it), made available to every YAML reader.
 */
export async function vaultSecretsFrom(values: VaultValues, ask: (prompt: string, option: string) => Promise<string>, configured?: string): Promise<VaultSecret[]> {
  const secrets: VaultSecret[] = [];
  for (const id of values['vault-id'] ?? []) secrets.push(await secretFromVaultId(id, (p) => ask(p, '--vault-id prompt')));
  for (const f of values['vault-password-file'] ?? []) secrets.push(passwordFromFile(f));
  if (values['ask-vault-pass']) secrets.push({ label: 'default', password: Buffer.from(await ask('Vault password: ', '--ask-vault-pass'), 'utf8') });
  const fromEnv = process.env.ANSIBLE_VAULT_PASSWORD_FILE || configured;
  if (fromEnv) for (const f of fromEnv.split(',').map((x) => x.trim()).filter(Boolean)) secrets.push(passwordFromFile(f));
  setVaultSecrets(secrets);
  return secrets;
}

const VAULT = {
  name: 'vault',
  usage: [
    'vault encrypt|decrypt|view FILE... [--vault-password-file F | --vault-id ID]',
    "vault encrypt_string [--name VAR] [--encrypt-vault-id LABEL] 'STRING'",
    'vault create|edit FILE (with $EDITOR)',
    'vault rekey FILE... --new-vault-password-file F | --new-vault-id ID',
  ],
  about: 'Encrypts and decrypts files and strings as ansible-vault does (AES256, format 1.1, or 1.2 with a vault id label).',
  options: {
    ...VAULT_OPTIONS,
    'encrypt-vault-id': { type: 'string', arg: 'LABEL', help: 'the vault id to encrypt with (when several are given)' },
    name: { type: 'string', short: 'n', arg: 'VAR', help: 'encrypt_string: the variable name to print' },
    output: { type: 'string', arg: 'FILE', help: "write here instead of in place ('-' for stdout)" },
    'new-vault-password-file': { type: 'string', arg: 'FILE', help: 'rekey: the new password file (or executable)' },
    'new-vault-id': { type: 'string', arg: '[LABEL@]SOURCE', help: 'rekey: the new vault id' },
  },
} as const satisfies CommandDecl;

export async function vaultCli(argv: string[], out: (s: string) => void, ask: (prompt: string, option: string) => Promise<string>): Promise<number> {
  const { values, positionals, help } = parseCommand(VAULT, argv);
  if (help) {
    out(helpText(VAULT));
    return EXIT.ok;
  }
  const [action, ...args] = positionals;
  if (!action || !['encrypt', 'decrypt', 'view', 'encrypt_string', 'create', 'edit', 'rekey'].includes(action)) {
    throw new UsageError('vault needs an action: encrypt, decrypt, view, encrypt_string, create, edit or rekey', VAULT);
  }
  const secrets = await vaultSecretsFrom(values, ask);
  if (secrets.length === 0) throw new UsageError('no vault secret: give --vault-password-file, --vault-id or --ask-vault-pass (or set ANSIBLE_VAULT_PASSWORD_FILE)', VAULT);
  const encryptWith = (): VaultSecret => {
    const id = values['encrypt-vault-id'];
    if (id === undefined) {
      if (secrets.length > 1) throw new UsageError('several vault ids given: choose one with --encrypt-vault-id', VAULT);
      return secrets[0]!;
    }
    const s = secrets.find((x) => x.label === id);
    if (!s) throw new UsageError(`--encrypt-vault-id ${id}: no such vault id given`, VAULT);
    return s;
  };
  if (action === 'encrypt_string') {
    if (args.length === 0) throw new UsageError('encrypt_string needs the string to encrypt', VAULT);
    const env = vaultEncrypt(args.join(' '), encryptWith());
    const body = env.trimEnd().split('\n').map((l) => `          ${l}`).join('\n');
    out(`${values.name ? `${values.name}: ` : ''}!vault |\n${body}\n`);
    return EXIT.ok;
  }
  if (args.length === 0) throw new UsageError(`${action} needs at least one file`, VAULT);
  if (action === 'create' || action === 'edit') {
    if (args.length !== 1) throw new UsageError(`${action} takes one file`, VAULT);
    return editVaultFile(action, args[0]!, secrets, encryptWith);
  }
  if (action === 'rekey') {
    const fresh = values['new-vault-id'] !== undefined
      ? await secretFromVaultId(values['new-vault-id'], (p) => ask(p, '--new-vault-id prompt'))
      : values['new-vault-password-file'] !== undefined
        ? passwordFromFile(values['new-vault-password-file'])
        : undefined;
    if (!fresh) throw new UsageError('rekey needs --new-vault-password-file or --new-vault-id', VAULT);
    for (const file of args) {
      const { plain } = openVaultFile(file, secrets);
      writeAtomic(file, vaultEncrypt(plain, fresh));
    }
    process.stderr.write('Rekey successful\n');
    return EXIT.ok;
  }
  if (values.output !== undefined && args.length > 1) throw new UsageError('--output takes one input file', VAULT);
  for (const file of args) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new UserError(`${file}: cannot be read`);
    }
    let result: string | Buffer;
    if (action === 'encrypt') {
      if (isVaultText(text)) throw new UserError(`${file}: is already vault-encrypted`);
      result = vaultEncrypt(readFileSync(file), encryptWith());
    } else {
      if (!isVaultText(text)) throw new UserError(`${file}: is not vault-encrypted`);
      result = vaultDecrypt(text, secrets, file);
    }
    if (action === 'view' || values.output === '-') out(result.toString());
    else {
      const dest = values.output ?? file;
      const tmp = `${dest}.wwtmp-${process.pid}`;
      writeFileSync(tmp, result, { mode: 0o600 });
      renameSync(tmp, dest);
      if (action !== 'view') process.stderr.write(`${action === 'encrypt' ? 'Encryption' : 'Decryption'} successful\n`);
    }
  }
  return EXIT.ok;
}

/** Write `data` to `file` atomically (a temporary file next to it, then rename), keeping its mode (0600 for a new file). */
function writeAtomic(file: string, data: string | Buffer): void {
  let mode = 0o600;
  try {
    mode = statSync(file).mode & 0o7777;
  } catch {
    // a new file
  }
  const tmp = `${file}.wwtmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
}

/** A vaulted file's plaintext and the secret that opened it (its vault id is kept on re-encryption, as ansible-vault does). */
function openVaultFile(file: string, secrets: readonly VaultSecret[]): { plain: Buffer; secret: VaultSecret } {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    throw new UserError(`${file}: cannot be read`);
  }
  if (!isVaultText(text)) throw new UserError(`${file}: is not vault-encrypted`);
  const label = vaultLabel(text);
  const ordered = [...secrets.filter((s) => s.label === label), ...secrets.filter((s) => s.label !== label)];
  for (const secret of ordered) {
    try {
      return { plain: vaultDecrypt(text, [secret], file), secret };
    } catch {
      // the next secret
    }
  }
  return { plain: vaultDecrypt(text, secrets, file), secret: secrets[0]! }; // throws the usual error
}

/**
 * `create` / `edit`: the plaintext goes to a private temporary file (0600 in a 0700 directory) for
 * $EDITOR (default vi, split like a shell word list as Ansible's shlex), then is encrypted back with
 * the same vault id (edit) and written atomically; an unchanged edit leaves the file alone, as
 * ansible-vault. The plaintext file is removed whatever happens.
 */
function editVaultFile(action: 'create' | 'edit', file: string, secrets: readonly VaultSecret[], encryptWith: () => VaultSecret): number {
  let plain: Buffer = Buffer.alloc(0);
  let secret: VaultSecret;
  if (action === 'create') {
    if (existsSync(file)) throw new UserError(`${file} exists, please use 'edit' instead`);
    secret = encryptWith();
  } else {
    ({ plain, secret } = openVaultFile(file, secrets));
  }
  const dir = mkdtempSync(join(tmpdir(), 'ww-vault-'));
  const tmp = join(dir, basename(file));
  try {
    writeFileSync(tmp, plain, { mode: 0o600 });
    const editor = (process.env.EDITOR || 'vi').split(/\s+/).filter(Boolean);
    const r = spawnSync(editor[0]!, [...editor.slice(1), tmp], { stdio: 'inherit' });
    if (r.error) throw new UserError(`could not run the editor '${editor[0]}' (set EDITOR): ${r.error.message}`);
    if (r.status !== 0) throw new UserError(`the editor '${editor.join(' ')}' exited with ${r.status ?? r.signal}: ${file} left unchanged`);
    const edited = readFileSync(tmp);
    if (action === 'edit' && edited.equals(plain)) return EXIT.ok;
    writeAtomic(file, vaultEncrypt(edited, secret));
    return EXIT.ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
