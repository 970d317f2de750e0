/**
 * Where each module of issue 11 is compared with Ansible (docs/modules.md "Oracle coverage"). A unit
 * test (test/unit/module-argspec-oracle.test.ts) checks that each listed file really runs the module.
 */
export interface OracleCoverage {
  module: string;
  /** test files (and the case files they run) that compare the module with ansible-playbook */
  tests: string[];
  /** one line: what is compared beyond the common checks, or what is not */
  note?: string;
}

const M1 = 'test/integration/modules-oracle.test.ts';
const M2 = 'test/integration/modules-oracle-2.test.ts';
const M3 = 'test/integration/modules-oracle-3.test.ts';
const SD = 'test/integration/systemd-oracle.test.ts';
const D8 = 'test/integration/deb822-oracle.test.ts';
/** `attributes` (chattr flags), localhost. */
const FA = 'test/unit/file-attributes-oracle.test.ts';

/** The case files of the lab oracles (where the tasks are). */
export const ORACLE_CASE_FILES: Record<string, string> = {
  [M1]: 'test/fixtures/modules-oracle/cases.ts',
  [M2]: 'test/fixtures/modules-oracle-2/cases.ts',
  [M3]: 'test/fixtures/modules-oracle/cases-3.ts',
  [SD]: 'test/fixtures/systemd-oracle/cases.ts',
  [D8]: 'test/fixtures/deb822-oracle/cases.ts',
  'test/unit/add-host-group-by.test.ts': 'test/fixtures/dynamic-inventory/site.yml',
  'test/unit/setup-subsets.test.ts': 'test/fixtures/setup-subsets/site.yml',
};

export const ORACLE_COVERAGE: OracleCoverage[] = [
  { module: 'lineinfile', tests: [M1, FA] },
  { module: 'blockinfile', tests: [M1, FA] },
  { module: 'replace', tests: [M1, FA] },
  { module: 'get_url', tests: [M1], note: 'checksum (value and URL), mode, owner/group, force, headers, timeout, url_username/password, validate_certs' },
  { module: 'uri', tests: [M1], note: 'method, body json/form, headers, status_code, return_content, validate_certs, timeout, redirects, dest' },
  { module: 'unarchive', tests: [M1], note: 'tar.gz, tar.xz, zip; remote_src, controller archive, creates, extra_opts' },
  { module: 'user', tests: [M1] },
  { module: 'group', tests: [M1] },
  { module: 'authorized_key', tests: [M1], note: 'also as ansible.posix.authorized_key' },
  { module: 'wait_for', tests: [M1], note: 'port, path, search_regex (file and port), states started/stopped/present/absent/drained, delay, timeout' },
  { module: 'wait_for_connection', tests: [M1, M2], note: 'part 2: across a lost connection' },
  { module: 'ping', tests: [M1] },
  { module: 'pause', tests: [M1, 'test/unit/pause-oracle.test.ts'] },
  { module: 'reboot', tests: [M2] },
  { module: 'find', tests: [M1] },
  { module: 'fetch', tests: [M1] },
  { module: 'git', tests: [M1], note: 'repo, version, dest, force, depth, update' },
  { module: 'pip', tests: [M1], note: 'name, requirements, virtualenv, virtualenv_command, state present/absent/latest, extra_args, editable' },
  { module: 'cron', tests: [M2] },
  { module: 'sysctl', tests: [M1], note: 'also as ansible.posix.sysctl' },
  { module: 'hostname', tests: [M1] },
  { module: 'mount', tests: [M1], note: 'also as ansible.posix.mount' },
  { module: 'apt_repository', tests: [M3] },
  { module: 'yum_repository', tests: [M3, FA] },
  { module: 'apt_key', tests: [M3] },
  { module: 'deb822_repository', tests: [D8], note: "against ansible-core 2.16 run from source (Debian's 2.14 has no deb822_repository): every argument, signed_by as URL/key/path/fingerprints, modes, absent; files byte for byte" },
  { module: 'service', tests: [M2, SD], note: 'part 2: SysV init scripts; systemd-oracle: a real systemd' },
  { module: 'systemd_service', tests: [M2, SD], note: 'part 2: offline (enable, mask); systemd-oracle: a real systemd (scope system/user/global, daemon_reload, daemon_reexec)' },
  { module: 'package_facts', tests: [M1] },
  { module: 'service_facts', tests: [M1] },
  { module: 'getent', tests: [M2] },
  { module: 'raw', tests: [M1] },
  { module: 'script', tests: [M2] },
  { module: 'add_host', tests: ['test/unit/add-host-group-by.test.ts'], note: 'localhost, no lab; real run and --check' },
  { module: 'group_by', tests: ['test/unit/add-host-group-by.test.ts'], note: 'localhost, no lab; real run and --check' },
  { module: 'setup', tests: ['test/unit/setup-subsets.test.ts'], note: 'gather_subset and filter, localhost' },
  { module: 'stat', tests: [M2], note: 'get_attributes, get_checksum, checksum_algorithm, get_md5; the same keys as Ansible' },
  { module: 'ini_file', tests: ['test/unit/ini-file-oracle.test.ts'], note: "community.general's module run in-process on 43 cases" },
];

/** The "Oracle coverage" section of docs/modules.md. */
export function oracleCoverageMarkdown(): string {
  const rows = ORACLE_COVERAGE.map((c) => `| \`${c.module}\` | ${c.tests.map((t) => `\`${t.replace(/^test\//, '')}\``).join(', ')} | ${c.note ?? ''} |`);
  return `## Oracle coverage

Each module of issue 11 and the test that compares it with Ansible. The lab oracles (\`integration/modules-oracle*.test.ts\`,
\`systemd-oracle.test.ts\`) run every case as the same task under ansible-playbook on one lab host and under wheelwright on
another, and compare \`changed\`/\`failed\` and the case's registered fields, the hosts' end state, that \`--check\`
changes nothing and predicts \`changed\` as Ansible's check run does, and that a second run changes nothing. Every
module's argument names, aliases, defaults and choices are compared with ansible-core's own declaration by
\`unit/module-argspec-oracle.test.ts\` (the differences it allows are the documented ones).

| module | oracle test | arguments and notes |
| --- | --- | --- |
${rows.join('\n')}
`;
}
