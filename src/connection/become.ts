import { randomBytes } from 'node:crypto';
import type { BecomeOptions } from './types.js';
import { shQuote } from '../shell/quote.js';

/**
 * Wrap a command for privilege escalation. The wrapped command prints `successMarker` on stdout
 * once it runs as the target user; sudo prints `prompt` on stderr when it wants the password.
 * The exec driver answers the prompt from memory (stdin), so the password is never in argv.
 */
export interface BecomeWrap {
  command: string;
  prompt: string;
  successMarker: string;
}

export function wrapBecome(command: string, become: BecomeOptions): BecomeWrap {
  const tag = randomBytes(8).toString('hex');
  const prompt = `[wheelwright-become-${tag}] password:`;
  const successMarker = `WHEELWRIGHT-BECOME-SUCCESS-${tag}`;
  const inner = `echo ${successMarker}; ${command}`;
  const user = become.user || 'root';
  let wrapped: string;
  if (become.method === 'su') {
    wrapped = `su ${shQuote(user)} -s /bin/sh -c ${shQuote(inner)}`;
  } else {
    wrapped = `sudo -H -S -p ${shQuote(prompt)} -u ${shQuote(user)} /bin/sh -c ${shQuote(inner)}`;
  }
  return { command: wrapped, prompt, successMarker };
}
