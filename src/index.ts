/**
 * The typed API behind the CLI: `import { loadInventory, loadPlaybook, runPlaybook } from 'wheelwright'`.
 * Everything here is public and semver-covered; deep imports into dist/ are not.
 */
import { fileURLToPath } from 'node:url';
import type { RunOptions } from './runner/run.js';

// inventories
export { loadInventory, selectHosts, splitHostPattern, listInventoryJson, groupsMap, groupNames } from './inventory/index.js';
export type { Inventory, InventoryGroup, InventoryHost, LoadInventoryOptions } from './inventory/index.js';

// playbooks
export { loadPlaybook, loadTaskFile, PlaybookError, serialBatches } from './playbook/index.js';
export type { LoadPlaybookOptions, Playbook, Play, Task } from './playbook/index.js';

// running, and the events a run emits
export { runPlaybook } from './runner/run.js';
export type { RunOptions, RunSummary } from './runner/run.js';
export { emptyStats } from './runner/events.js';
export type { RunEvent, EventSink, HostStats, HostStatus } from './runner/events.js';
export type { ModuleResult } from './modules/types.js';

// the outputs the CLI uses, for scripts that want the same lines
export { terminalSink } from './output/terminal.js';
export type { TerminalOptions } from './output/terminal.js';
export { jsonLinesSink } from './output/jsonl.js';

// connections
export { createConnection, ConnectionPool } from './connection/factory.js';
export { connectionSpecFromVars } from './connection/spec.js';
export { LocalConnection } from './connection/local.js';
export { SshConnection } from './connection/ssh.js';
export type { SshOptions } from './connection/ssh.js';
export { UnreachableError } from './connection/types.js';
export type { Connection, ConnectionSpec, ExecOptions, ExecResult, PutOptions, BecomeOptions } from './connection/types.js';

// the venv job and the wheel build, over any Connection
export { ensureVenv, rollbackVenv, gcVenvs, buildWheels as buildWheelDir, VenvError } from './venv/ensure.js';
export type { VenvSpec, VenvResult, RollbackResult, GcResult, WheelsSpec, WheelsResult, VenvErrorKind } from './venv/ensure.js';
export { buildWheels, buildKey, WheelBuildError } from './wheels/build.js';
export type { WheelBuildSpec, WheelBuildResult, WheelBuildOptions, BuiltWheel, DistroFacts } from './wheels/build.js';

// errors and exit codes
export { UserError, EXIT } from './errors.js';
export type { SourcePos } from './errors.js';

/** The roles shipped with wheelwright (python_venv_build, repo_server): pass as `roleSearchPaths`. */
export const builtinRolesDir: string = fileURLToPath(new URL('../roles', import.meta.url));

/** The CLI's defaults for everything runPlaybook needs besides the playbook and the inventory. */
export function defaultRunOptions(): Omit<RunOptions, 'playbook' | 'inventory'> {
  return {
    extraVars: {},
    forks: 50,
    check: false,
    diff: false,
    tags: [],
    skipTags: [],
    verbosity: 0,
    hostKeyChecking: 'strict',
    connectTimeoutMs: 10_000,
    retryFile: false,
  };
}
