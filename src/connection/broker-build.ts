/**
 * The connection broker of the running build: only the bundled CLI (dist/bin/main.cjs) has one,
 * beside it (dist/bin/broker.cjs), with the id of both bundles (dist/bin/broker.key, written by
 * scripts/bundle.mjs) naming its socket, so that a broker only ever serves runs of its own build.
 * The library and a tsc-only build connect directly.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrokerBuild } from './broker-client.js';

export function brokerBuild(): BrokerBuild | undefined {
  const here = import.meta.url;
  if (!here.endsWith('/dist/bin/main.cjs')) return undefined;
  try {
    const id = readFileSync(fileURLToPath(new URL('broker.key', here)), 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(id)) return undefined;
    return { id, script: fileURLToPath(new URL('broker.cjs', here)) };
  } catch {
    return undefined;
  }
}
