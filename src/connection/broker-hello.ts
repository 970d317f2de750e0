/**
 * What a run tells the broker about one host connection: the settings (paths made absolute, the
 * become password left out: the broker never needs it) and the key that decides reuse.
 */
import { resolve } from 'node:path';
import type { BrokerBuild, HelloMsg } from './broker-client.js';
import { PROTOCOL } from './broker-proto.js';
import { defaultKnownHostsFiles } from './known-hosts.js';
import { connectionKey } from './persist.js';
import { defaultIdentityFiles, jumpHostSpec } from './spec.js';
import type { SshOptions } from './ssh.js';
import type { ConnectionSpec } from './types.js';

const abs = (p: string | undefined) => (p === undefined ? undefined : resolve(p));

export function brokerHello(spec: ConnectionSpec, opts: SshOptions, build: BrokerBuild, persistS: number): HelloMsg | undefined {
  const { becomePassword: _b, ...rest } = spec;
  const s: ConnectionSpec = { ...rest, privateKeyFile: abs(spec.privateKeyFile), knownHostsFile: abs(spec.knownHostsFile) };
  const knownHostsFiles = (opts.knownHostsFiles ?? defaultKnownHostsFiles(s.knownHostsFile).files).map((f) => resolve(f));
  if (opts.knownHostsFiles && s.knownHostsFile && !knownHostsFiles.includes(s.knownHostsFile)) knownHostsFiles.push(s.knownHostsFile);
  const identityFiles = (opts.defaultIdentityFiles ?? defaultIdentityFiles()).map((f) => resolve(f));
  const agentSocket = opts.agentSocket === undefined ? (process.env.SSH_AUTH_SOCK ?? null) : opts.agentSocket;
  const sshConfigFile = abs(opts.sshConfigFile);
  const jumps: ConnectionSpec[] = [];
  let j = jumpHostSpec(s, sshConfigFile);
  while (j) {
    if (jumps.length > 8) return undefined; // a loop in ProxyJump: let the direct path report it
    jumps.push(j);
    j = jumpHostSpec(j, sshConfigFile);
  }
  const o: HelloMsg['opts'] = {
    agentSocket,
    defaultIdentityFiles: identityFiles,
    knownHostsFiles,
    sshConfigFile,
    keepaliveIntervalMs: opts.keepaliveIntervalMs,
    keepaliveCountMax: opts.keepaliveCountMax,
    maxChannels: opts.maxChannels,
    channelRetries: opts.channelRetries,
  };
  const key = connectionKey(s, { buildId: build.id, jumps, ...o, knownHostsFiles, defaultIdentityFiles: identityFiles });
  // JSON has no Infinity: -1 is "until the connection closes" (ControlPersist=yes)
  return { v: PROTOCOL, key, persistMs: Number.isFinite(persistS) ? persistS * 1000 : -1, spec: s, opts: o };
}
