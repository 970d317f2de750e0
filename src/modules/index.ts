/** Registers every built-in module; the runner imports this file once. */
import { registerModule } from './registry.js';
import { assertModule } from './assert.js';
import { commandModule } from './command.js';
import { copyModule } from './copy.js';
import { debugModule } from './debug.js';
import { asyncStatusModule } from './async_status.js';
import { failModule } from './fail.js';
import { fileModule } from './file.js';
import { iniFileModule } from './ini_file.js';
import { lineinfileModule } from './lineinfile.js';
import { pipModule } from './pip.js';
import { mountModule } from './mount.js';
import { hostnameModule } from './hostname.js';
import { gitModule } from './git.js';
import { serviceFactsModule } from './service_facts.js';
import { packageFactsModule } from './package_facts.js';
import { authorizedKeyModule } from './authorized_key.js';
import { sysctlModule } from './sysctl.js';
import { unarchiveModule } from './unarchive.js';
import { uriModule } from './uri.js';
import { getUrlModule } from './get_url.js';
import { waitForConnectionModule, waitForModule } from './wait_for.js';
import { fetchModule } from './fetch.js';
import { findModule } from './find.js';
import { blockinfileModule } from './blockinfile.js';
import { replaceModule } from './replace.js';
import { pauseModule } from './pause.js';
import { rawModule } from './raw.js';
import { pingModule } from './ping.js';
import { userModule } from './user.js';
import { groupModule } from './group.js';
import { metaModule } from './meta.js';
import { packageModule } from './package.js';
import { serviceModule } from './service.js';
import { setFactModule } from './set_fact.js';
import { includeVarsModule } from './include_vars.js';
import { setupModule } from './setup.js';
import { shellModule } from './shell.js';
import { slurpModule } from './slurp.js';
import { statModule } from './stat.js';
import { templateModule } from './template.js';
import { aptRepositoryModule } from './apt_repository.js';
import { aptKeyModule } from './apt_key.js';
import { yumRepositoryModule } from './yum_repository.js';
import { addHostModule } from './add_host.js';
import { groupByModule } from './group_by.js';
import { rebootModule } from './reboot.js';
import { getentModule } from './getent.js';
import { scriptModule } from './script.js';
import { cronModule } from './cron.js';
import { systemdServiceModule } from './systemd_service.js';
import { deb822RepositoryModule } from './deb822_repository.js';

export const builtinModules = [
  assertModule,
  commandModule,
  copyModule,
  debugModule,
  asyncStatusModule,
  failModule,
  fileModule,
  iniFileModule,
  lineinfileModule,
  pipModule,
  mountModule,
  hostnameModule,
  gitModule,
  serviceFactsModule,
  packageFactsModule,
  authorizedKeyModule,
  sysctlModule,
  unarchiveModule,
  uriModule,
  getUrlModule,
  waitForModule,
  waitForConnectionModule,
  fetchModule,
  findModule,
  blockinfileModule,
  replaceModule,
  pauseModule,
  rawModule,
  pingModule,
  userModule,
  groupModule,
  metaModule,
  packageModule,
  serviceModule,
  setFactModule,
  includeVarsModule,
  setupModule,
  shellModule,
  slurpModule,
  statModule,
  templateModule,
  aptRepositoryModule,
  aptKeyModule,
  yumRepositoryModule,
  addHostModule,
  groupByModule,
  rebootModule,
  getentModule,
  scriptModule,
  cronModule,
  systemdServiceModule,
  deb822RepositoryModule,
] as const;

for (const m of builtinModules) registerModule(m);

// python_venv_build's two steps (build on the repo servers, install on targets)
import { venvInstallModule, venvRollbackModule, venvWheelsModule } from '../venvbuild/modules.js';
registerModule(venvWheelsModule);
registerModule(venvInstallModule);
registerModule(venvRollbackModule);
