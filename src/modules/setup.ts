import type { ModuleDef } from './types.js';
import { execFailure, inSh, run } from './lib/exec.js';
import { composeFactsScript, factsOfCollectors, filterFacts, parseFactsOutput, selectCollectors } from './lib/facts.js';

export interface SetupArgs {
  gather_subset?: string[];
  filter?: string[];
  gather_timeout: number;
}

/** setup: gather facts in one remote /bin/sh script. */
export const setupModule: ModuleDef<SetupArgs> = {
  name: 'setup',
  description: "Gather facts about the host in one shell script.",
  notes: "Arguments: `gather_subset` (`all`, `min`, `hardware`, `network`, `!x`; everything else is cheap and\nalways gathered), `filter` (list of shell patterns on fact names), `gather_timeout` (s, default 10).\n\nONE `/bin/sh` script (no Python needed; composed by `composeFactsScript` and parsed by\n`parseFactsOutput` in `src/modules/lib/facts.ts`). Facts: `ansible_hostname` (short),\n`ansible_nodename`, `ansible_fqdn`, `ansible_domain`, `ansible_kernel`, `ansible_system`,\n`ansible_architecture`/`ansible_machine`, `ansible_distribution` (Debian, Ubuntu, CentOS, RedHat,\nRocky, AlmaLinux, Fedora, OracleLinux, Amazon, SLES, Alpine, \u2026), `ansible_distribution_version`\n(Debian: `/etc/debian_version`, e.g. 12.5), `ansible_distribution_major_version`,\n`ansible_distribution_release`, `ansible_os_family`, `ansible_pkg_mgr` (apt, dnf, yum, zypper, apk,\npacman), `ansible_service_mgr` (systemd, openrc, sysvinit, service), `ansible_python`,\n`ansible_python_version`, `discovered_interpreter_python` (when python3 exists),\n`ansible_env` (PATH, HOME, USER, LOGNAME, SHELL, LANG, PWD), `ansible_user_id`, `ansible_user_uid`,\n`ansible_user_gid`, `ansible_user_dir`, `ansible_user_shell`, `ansible_machine_id`; hardware:\n`ansible_processor_vcpus`, `ansible_processor_nproc`, `ansible_memtotal_mb`, `ansible_memfree_mb`,\n`ansible_swaptotal_mb`; network: `ansible_default_ipv4` (`address`, `interface`, `gateway`, from\n`ip -4 route get`). Returns `{changed: false, ansible_facts}`.",
  aliases: ['gather_facts'],
  argSpec: {
    gather_subset: { description: "Ansible's subsets: all, min, hardware, network, platform, distribution, user, !x... (min is always gathered unless !min; unknown names are an error, as in Ansible)", type: 'list', elements: 'str' },
    filter: { description: "only facts whose names match one of these shell patterns (e.g. ansible_distribution*); gather_subset/module_setup too", type: 'list', elements: 'str' },
    gather_timeout: { description: "seconds", type: 'int', default: 10 },
  },
  async run(args, ctx) {
    let collectors: Set<string>;
    try {
      collectors = selectCollectors(args.gather_subset);
    } catch (e) {
      return { changed: false, failed: true, msg: (e as Error).message };
    }
    // Facts are read-only: gather them in check mode too.
    const r = await run(ctx, inSh(ctx, composeFactsScript({ hardware: collectors.has('hardware'), network: collectors.has('network') })), undefined, args.gather_timeout * 1000);
    if (r.code !== 0) return execFailure('gathering facts', r);
    const all = parseFactsOutput(r.stdout);
    // interpreter discovery's fact, not a collector's: outside the subsets and the filter (as Ansible's action adds it)
    const discovered = all.discovered_interpreter_python;
    delete all.discovered_interpreter_python;
    const facts: Record<string, unknown> = { ...factsOfCollectors(all, collectors), gather_subset: args.gather_subset ?? ['all'], module_setup: true };
    const out = filterFacts(facts, args.filter ?? []);
    let pinned: unknown;
    try {
      pinned = ctx.vars.ansible_python_interpreter;
    } catch {
      /* undefined or broken: discovery */
    }
    if (discovered !== undefined && (pinned === undefined || pinned === null || String(pinned).startsWith('auto'))) out.discovered_interpreter_python = discovered;
    return { changed: false, ansible_facts: out };
  },
};
