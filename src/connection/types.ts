/**
 * The one interface every transport implements (local now, ssh2 next). A Connection belongs to
 * one host and is opened once per run; every task on that host (and every delegate_to it) reuses it.
 */
export interface BecomeOptions {
  method: 'sudo' | 'su';
  user: string; // default 'root'
  /** Sent on stdin when the prompt appears; never placed in argv, never logged. */
  password?: string;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
  become?: BecomeOptions;
  /** Kill the command (and fail) after this long. */
  timeoutMs?: number;
  /** Streaming of long output, chunk by chunk, as it arrives. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when the command died of a signal or the status never arrived (a failure). */
  code: number | null;
  signal?: string | null;
}

export interface PutOptions {
  mode?: number; // e.g. 0o644
  become?: BecomeOptions;
}

export interface Connection {
  /** inventory_hostname this connection belongs to. */
  readonly host: string;
  /** 'local' | 'ssh' */
  readonly transport: string;
  /** Open the connection. Rejects with UnreachableError when the host cannot be reached. */
  connect(): Promise<void>;
  /** Run `command` with /bin/sh -c on the host. */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Write a file atomically: temp name in the same directory, then rename. */
  put(content: string | Buffer, remotePath: string, opts?: PutOptions): Promise<void>;
  /** Read a whole file. */
  get(remotePath: string, opts?: { become?: BecomeOptions }): Promise<Buffer>;
  close(): Promise<void>;
  /**
   * Stop now (SIGINT/SIGTERM): kill every command running (with what it started, so that remote
   * locks are released) and refuse new ones. Resolves when they have ended.
   */
  interrupt?(reason: string): Promise<void>;
  /**
   * Drop the transport's connection; the next command reconnects with the same settings
   * (Ansible's reset(): after a reboot). Transports without one (local) leave it out.
   */
  reset?(): Promise<void>;
}

/** The host could not be reached (connect refused, timeout, auth or host-key failure). */
export class UnreachableError extends Error {
  constructor(public readonly host: string, reason: string) {
    super(reason);
    this.name = 'UnreachableError';
  }
}

/** Connection settings resolved from inventory variables (Ansible's names) for one host. */
export interface ConnectionSpec {
  host: string; // inventory_hostname
  connection: 'local' | 'ssh'; // ansible_connection
  address: string; // ansible_host, default inventory_hostname
  port?: number; // ansible_port
  user?: string; // ansible_user
  privateKeyFile?: string; // ansible_ssh_private_key_file
  passphrase?: string; // ansible_ssh_pass_phrase (never logged)
  password?: string; // ansible_password (never logged)
  becomePassword?: string; // ansible_become_password (never logged)
  hostKeyChecking: 'strict' | 'accept-new' | 'off';
  knownHostsFile?: string;
  connectTimeoutMs: number;
  /** ProxyJump spec (user@host:port,...) from inventory (ansible_ssh_common_args not parsed) or ssh config. */
  proxyJump?: string;
  /** keepalive interval and count (ServerAliveInterval/ServerAliveCountMax in ansible_ssh_common_args or _extra_args) */
  serverAliveIntervalMs?: number;
  serverAliveCountMax?: number;
  /**
   * Seconds the connection is kept for the next run after its last use (ControlPersist from
   * ansible_ssh_args / ssh_args with ControlMaster on; Infinity: until it closes). 0/unset: not kept.
   */
  controlPersistS?: number;
  /** Where the broker's socket lives (control_path_dir, default ~/.ansible/cp). */
  controlPathDir?: string;
}
