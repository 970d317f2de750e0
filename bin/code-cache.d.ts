// Types of bin/code-cache.js (the CLI's bundle loader with its V8 code cache), for the tests.
import type { Stats } from 'node:fs';

export function runKind(argv: string[]): 'P' | 'O';
export function cacheDirs(bundle: string, env?: NodeJS.ProcessEnv): string[];
export function trustedStat(st: Stats, uid?: number): boolean;
export function readTrusted(path: string): Buffer | undefined;
export function writeCache(dirs: string[], name: string, data: Buffer): string | undefined;
export function loadBundle(
  file: string,
  opts?: { dirs?: string[] },
): { exports: Record<string, any>; cacheUsed: boolean; save(kind: 'P' | 'O'): string | undefined };
