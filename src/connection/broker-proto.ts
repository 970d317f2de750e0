/**
 * The connection broker's wire format on its Unix socket: frames of [u32 length][u8 type][u32 channel][payload].
 * One socket per host connection of a run; channel 0 is the connection itself, 1.. its commands.
 */
export const F = {
  // client → broker
  Hello: 1, // JSON HelloMsg
  Exec: 2, // command (utf8)
  Stdin: 3, // bytes
  Eof: 4,
  Kill: 5,
  Reset: 6,
  // broker → client
  Ready: 20, // JSON ReadyMsg
  Opened: 21,
  OpenFail: 22, // JSON FailMsg
  Stdout: 23,
  Stderr: 24,
  Exit: 25, // JSON ExitMsg
} as const;
export type F = (typeof F)[keyof typeof F];

export const PROTOCOL = 1;

/** The broker's pid file, beside its socket (the bench reads the broker's CPU through it). */
export const pidPathOf = (socketPath: string): string => socketPath.replace(/\.sock$/, '.pid');

export interface FailMsg {
  message: string;
  unreachable: boolean;
}
export interface ReadyMsg {
  ok: boolean;
  fail?: FailMsg;
  hostKeyStatus?: string;
}
export interface ExitMsg {
  code: number | null;
  signal: string | null;
  exited: boolean;
  /** the connection was lost before the command's exit status came */
  lost?: string;
}

export function frame(type: F, chan: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.allocUnsafe(9);
  head.writeUInt32BE(body.length + 5, 0);
  head.writeUInt8(type, 4);
  head.writeUInt32BE(chan, 5);
  return Buffer.concat([head, body]);
}

/**
 * Split a byte stream into frames. A frame can be large (a whole file pushed on a command's stdin
 * is one Stdin frame) and arrives in socket-sized chunks: they are kept as a list and joined once
 * the frame is complete, so a frame costs its size to assemble, not its size times its chunks.
 */
export function frameReader(onFrame: (type: F, chan: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let parts: Buffer[] = [];
  let have = 0;
  return (chunk) => {
    parts.push(chunk);
    have += chunk.length;
    for (;;) {
      if (have < 4) return;
      if (parts[0]!.length < 4) parts = [Buffer.concat(parts)];
      const len = parts[0]!.readUInt32BE(0);
      if (have < 4 + len) return;
      const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      const type = buf.readUInt8(4) as F;
      const chan = buf.readUInt32BE(5);
      const payload = buf.subarray(9, 4 + len);
      const rest = buf.subarray(4 + len);
      parts = rest.length ? [rest] : [];
      have = rest.length;
      onFrame(type, chan, payload);
    }
  };
}
