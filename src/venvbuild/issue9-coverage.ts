/**
 * Issue 9 (the venv job at the transport's floor): where each Deliver point and Acceptance line is
 * implemented and which test (or bench figure) shows it. docs/python_venv_build.md "Issue 9
 * coverage" is issue9CoverageMarkdown(); as for src/modules/oracle-coverage.ts and docs/modules.md,
 * a unit test (test/unit/issue9-coverage.test.ts) checks that the section is up to date and that
 * every file named exists and contains the named test (or text).
 */

/** A test case (its title as written: mocha's `it('...')`, Python's `test_...`) or a text a file must hold. */
export interface Shown {
  file: string;
  /** the test's title / method name, or (kind 'figure' / 'file') a text of the file */
  text: string;
  kind?: 'test' | 'figure' | 'file';
}

export interface Issue9Row {
  /** Deliver point (1-7) or 'Acc.' */
  point: string;
  what: string;
  /** the code that does it */
  where: string;
  shown: Shown[];
  /** what the test does not show, or a difference left */
  gap?: string;
}

const T = (file: string, text: string): Shown => ({ file, text });
const FIG = (file: string, text: string): Shown => ({ file, text, kind: 'figure' });
const HAS = (file: string, text: string): Shown => ({ file, text, kind: 'file' });

const ROLE = 'test/integration/venv-role.test.ts';
const FAULTS = 'test/integration/faults.test.ts';
const WHEELS_I = 'test/integration/wheels.test.ts';
const ENSURE_I = 'test/integration/venv-ensure.test.ts';
const INST = 'src/remote/tests/test_installer.py';
const SPEC = 'src/remote/tests/test_installer_spec.py';
const FETCH = 'src/remote/tests/test_wheelfile_fetch.py';
const PYC = 'src/remote/tests/test_pycache.py';
const SHAPE = 'src/remote/tests/test_package_shape.py';
const SHARED = 'src/remote/tests/test_shared.py';
const I9 = 'test/unit/issue9-coverage.test.ts';

const COLD = 'cold deploy: builds once on the repo, installs the pinned closure on every target; rerun is one command per target';

export const ISSUE9_COVERAGE: Issue9Row[] = [
  {
    point: '1', what: 'one remote command at the transport\'s floor (TCP_NODELAY); micro bench vs `ssh -o ControlMaster`, figure in the README',
    where: 'src/connection/ssh.ts (setNoDelay); bench/micro.ts',
    shown: [FIG('README.md', '**One remote command** (`--only micro`)'), HAS('bench/README.md', '- `micro`: what one remote command costs on one host')],
    gap: 'a time, so shown by the bench only (no timed tests)',
  },
  {
    point: '2', what: 'the build result lists every wheel of the closure (file, sha256, size)',
    where: 'src/wheels/build_wheels.py (wheels_for_pins, public); src/wheels/build.ts',
    shown: [T(WHEELS_I, 'first build: wheels for the whole closure, alpha pinned by the global constraint')],
  },
  {
    point: '2', what: 'http: targets fetch exactly the listed files, only the missing or damaged ones, in parallel, sha256 and size verified',
    where: 'src/remote/wwremote/fetch.py; src/venv/ensure_venv.py (do_role_target)',
    shown: [
      T(FETCH, 'test_exactly_the_listed_files_in_parallel'), T(FETCH, 'test_only_what_is_missing_or_damaged'),
      T(FETCH, 'test_a_file_that_is_not_the_built_one_is_refused_and_not_kept'), T(FETCH, 'test_a_file_the_repository_lacks_is_named'),
    ],
  },
  {
    point: '2', what: 'push: only the wheels the target\'s wheelhouse lacks are streamed from the build host',
    where: 'src/venv/ensure_venv.py (`need: wheels`); src/venvbuild/target.ts (ensureTarget)',
    shown: [T(ROLE, 'push transport streams only the missing wheels into a wheelhouse on the target'), T(FAULTS, 'connection cut mid-push: a wheel cut short never lands in the wheelhouse; old venv in service; the rerun repairs')],
  },
  {
    point: '2', what: 'the pinned closure installed without pip\'s resolver (by the installer: INSTALLER `wheelwright`, no direct_url.json, `pip freeze` pins all); `bin/pip list`, `pip check` on the lab targets',
    where: 'src/venv/ensure_venv.py (install_pinned); src/remote/wwremote/installer.py',
    shown: [T(ROLE, COLD)],
  },
  {
    point: '2', what: 'same files, RECORD and scripts as pip (byte-code included); every `.data` dir, GUI scripts, entry points with extras, a non-normalised project name',
    where: 'src/remote/wwremote/installer.py (unpack_wheel, script_bytes, finish_dist)',
    shown: [
      T(INST, 'test_same_files_as_pip'), T(INST, 'test_same_record_entries_as_pip'), T(INST, 'test_scripts_as_pip_writes_them'), T(INST, 'test_bytecode_in_record'),
      T(SPEC, 'test_every_data_dir_lands_where_pip_puts_it'), T(SPEC, 'test_record_and_scripts_as_pip_writes_them'),
    ],
    gap: '`INSTALLER` says `wheelwright`; pip itself is not marked `REQUESTED`',
  },
  {
    point: '2', what: '`pip list`, `pip check`, `pip uninstall`, console scripts, `importlib.metadata`, INSTALLER',
    where: 'src/remote/wwremote/installer.py',
    shown: [T(INST, 'test_pip_list_check_and_metadata'), T(INST, 'test_pip_uninstall_then_check'), T(SPEC, 'test_pip_sees_it_as_its_own')],
  },
  {
    point: '2', what: '`direct_url.json` where pip writes one: none, as pip\'s install by name (upstream\'s); also when `venv_pip_install_args` makes pip install the listed files (`pip freeze` prints `name==version`)',
    where: 'src/remote/wwremote/installer.py; src/venv/ensure_venv.py (pip_install_listed)',
    shown: [T(INST, 'test_same_files_as_pip'), T(SPEC, 'test_pip_freeze_as_after_an_install_by_name')],
  },
  {
    point: '2', what: 'pip in every venv, put there from its wheel by the installer (not run to install itself)',
    where: 'src/venv/ensure_venv.py (install_pinned: find_pip_wheel, the build\'s wheel else /usr/share/python-wheels)',
    shown: [T(INST, 'test_pip_list_check_and_metadata'), T(INST, 'test_scripts_as_pip_writes_them'), T(ROLE, COLD)],
    gap: 'no pip wheel anywhere: ensurepip (not tested)',
  },
  {
    point: '3', what: 'unchanged packages (same wheel sha256) hard-linked from the current generation; RECORD, scripts written anew; an incomplete copy is unpacked instead',
    where: 'src/remote/wwremote/installer.py (link_dist, install_wheels)',
    shown: [
      T(INST, 'test_unchanged_packages_are_hard_links_the_changed_one_is_unpacked'), T(INST, 'test_scripts_point_at_their_own_generation'),
      T(INST, 'test_uninstall_in_the_new_generation_leaves_the_old_intact'), T(INST, 'test_an_incomplete_previous_copy_is_unpacked_instead'),
      T(ROLE, 'a requirement change builds only what is new and makes a new generation; the previous one stays'),
    ],
  },
  {
    point: '3', what: 'byte-code: compiled once on the build host and shipped (timestamp pycs, source mtimes from the wheel), else only what was unpacked, in parallel; `--no-compile` as pip\'s; the trade-off documented with figures',
    where: 'src/remote/wwremote/pycache.py; src/remote/wwremote/installer.py (compile_files); docs/python_venv_build.md "Byte-code"',
    shown: [
      T(PYC, 'test_made_once_per_wheel_hash_a_new_wheel_compiles_alone'), T(PYC, 'test_the_import_loads_the_pyc_and_never_rewrites_it'),
      T(PYC, 'test_an_edited_source_is_recompiled_as_after_pip'), T(PYC, 'test_hard_link_reuse_keeps_the_pycs_valid'),
      T(PYC, 'test_another_interpreter_or_wheel_compiles_on_the_target'),
      T(INST, 'test_unchanged_packages_are_hard_links_the_changed_one_is_unpacked'), T(INST, 'test_no_compile_as_pip_does_it'), HAS('docs/python_venv_build.md', '**Byte-code, the cold install\'s main cost.**'),
    ],
    gap: 'that the compile runs in parallel is not asserted (it would be a timing)',
  },
  {
    point: '4', what: 'a no-op is ONE remote command per target (from the recap\'s remoteCommands), with push transport too',
    where: 'src/venvbuild/target.ts (ensureTarget); src/venv/ensure_venv.py (do_role_target)',
    shown: [T(ROLE, COLD), T(FAULTS, '128 targets in one no-op run: no errors, nothing changed, one remote command each'), T(ROLE, 'push transport streams only the missing wheels into a wheelhouse on the target')],
  },
  {
    point: '4', what: 'the build host\'s no-op check is ONE command (facts + check = 2 on the repo server)',
    where: 'src/wheels/build_wheels.py (main: distro packages and inputs checked in the same call)',
    shown: [T(ROLE, '--tags build only builds; --tags install only installs')],
  },
  {
    point: '4', what: 'the repo_server role\'s no-op: at most one command per task',
    where: 'roles/repo_server/tasks/main.yml',
    shown: [T(ROLE, "the repo_server role's no-op costs at most one remote command per task (the recap's counts, task by task)"), T(ROLE, COLD)],
  },
  {
    point: '4', what: 'the no-op at the floor: SSH connections kept between runs (ControlPersist, as Ansible\'s default `ssh_args`), opened ahead of use; the no-op\'s remote commands load no json/re/configparser',
    where: 'src/connection/broker*.ts, src/connection/persist.ts; src/runner/ahead.ts; src/remote/wwremote/jsonfast.py, relazy.py',
    shown: [
      T('test/integration/persist.test.ts', 'two runs use one SSH connection; a concurrent pair shares it too'),
      T('test/integration/persist.test.ts', 'another known_hosts content or another key file: not the same connection'),
      T('test/unit/connect-ahead.test.ts', 'reaches only the hosts of the plays, each once, and reports unreachable hosts where ansible-playbook does'),
      T('src/remote/tests/test_noop_imports.py', 'test_the_no_op_paths_import_none_of_them'),
      FIG('README.md', '**Connection reuse across runs (ControlPersist).**'),
    ],
  },
  {
    point: '5', what: 'one stdlib-only package; one error type; one lock, atomic write and pip-wheel finder (no copy per script)',
    where: 'src/remote/wwremote',
    shown: [
      T(SHAPE, 'test_stdlib_only'), T(SHAPE, 'test_one_error_type'), T(SHAPE, 'test_one_lock_one_atomic_write_one_pip_wheel_finder'),
      T(SHAPE, 'test_both_scripts_are_built_on_the_package'), T(SHARED, 'test_every_module_raises_the_one_error_type'),
    ],
  },
  {
    point: '5', what: 'assembled into the one script sent per call (boot, code cache), every module of the package in it',
    where: 'src/remote/assemble.ts; src/remote/boot.py',
    shown: [T('src/remote/tests/test_boot.py', 'test_runs_the_program_then_its_cached_code'), T(I9, 'the program sent carries every module of src/remote/wwremote')],
  },
  {
    point: '5', what: 'one TS runner for remote scripts and one error type (VenvError, WheelBuildError are RemoteError); one wheel builder for the role and `wheelwright wheels`',
    where: 'src/remote/run.ts (runRemoteScript, RemoteError); src/wheels/build.ts (buildWheels); src/venv/ensure.ts (buildWheels, for the CLI)',
    shown: [T(I9, 'the role and `wheelwright wheels` send the same builder (build_wheels.py) through the one runner; its errors are RemoteError'), T('test/integration/venv-cli.test.ts', '`wheels` builds the closure of a source requirement into a dir usable by `venv create`')],
  },
  {
    point: '5', what: 'the pip-wheel finder picks the newest version (pip-23 over pip-9), honouring Requires-Python',
    where: 'src/remote/wwremote/wheelfile.py (find_pip_wheel)',
    shown: [T(FETCH, 'test_newest_by_version_not_by_name_order'), T(FETCH, 'test_a_release_beats_its_pre_release_and_requires_python_is_honoured')],
  },
  {
    point: '5', what: 'the package\'s Python unit tests run in `.ci/run`',
    where: '.ci/run -> scripts/test.sh',
    shown: [HAS('scripts/test.sh', 'python3 -m unittest discover -s src/remote/tests'), HAS('.ci/run', 'scripts/test.sh')],
  },
  {
    point: '6', what: 'requirements and constraints files start with `# Managed with python_venv_build role` on its own line: build host and venv',
    where: 'src/wheels/build.ts (fileWithHeader, UPSTREAM_HEADER); src/venv/ensure_venv.py (lines_file)',
    shown: [
      T('test/unit/wheels.test.ts', 'writes ONE header line then one entry per line, newline-terminated'),
      T(WHEELS_I, 'first build: wheels for the whole closure, alpha pinned by the global constraint'),
      T(ENSURE_I, 'writes requirements/constraints files: one header line, one entry per line, newline-terminated'),
      T(ROLE, COLD),
    ],
  },
  {
    point: '7', what: 'bench: cold, no-op, one-package change side by side with `--ansible-role`, ratios printed; lab hosts\' CPU',
    where: 'bench/deploy.ts, bench/run.ts',
    shown: [FIG('README.md', '| scenario | upstream / wheelwright, wall |'), HAS('bench/README.md', '- `deploy`: 1 repo server')],
  },
  {
    point: '7', what: 'scale case: no-op and one-package change on 32 and 64 targets (wall, controller CPU per host, controller peak memory)',
    where: 'bench/deploy.ts (`--only fleet`)',
    shown: [FIG('README.md', '**At scale** (`--only fleet`'), HAS('bench/README.md', '- `fleet`: no-op and one-package change')],
    gap: 'one run (2026-12-02 15:34-15:40 UTC): a time, so shown by the bench only',
  },
  {
    point: 'Acc.', what: 'cold >= 8x, no-op >= 80x faster than the upstream role, one run',
    where: 'bench',
    shown: [FIG('README.md', '| scenario | upstream / wheelwright, wall |')],
    gap: 'a time, so shown by the bench only: 2026-12-02 15:26-15:33 UTC, median of 3 runs, cold 10.0x (4.49 against 44.97 s), no-op 90.0x (0.29 against 26.09 s)',
  },
  {
    point: 'Acc.', what: 'generations and rollback',
    where: 'src/venv/ensure_venv.py (ensure_generations, switch_to, do_rollback); src/venvbuild/modules.ts (venv_rollback)',
    shown: [T(ENSURE_I, 'switches atomically, keeps the previous, prunes older, rolls back, reuses a kept generation'), T(ROLE, 'venv_rollback puts the previous generation back in service, from the controller')],
  },
  {
    point: 'Acc.', what: 'kill mid-install, interrupts, cut links, full disk, build host killed',
    where: 'src/venv/ensure_venv.py; src/runner (interrupt)',
    shown: [
      T(ROLE, 'killing a target mid-install leaves the old venv in service; the rerun finishes it'),
      T(ENSURE_I, 'a creation killed mid-install (SIGKILL) leaves no marker; the next call recovers'),
      T(FAULTS, 'controller SIGKILLed mid-install: old venv stays in service; the rerun repairs once the orphaned step has released its lock'),
      T(FAULTS, 'build host killed mid-build: targets keep their venv, nothing half-built is published; the rerun builds and installs'),
    ],
  },
  {
    point: 'Acc.', what: 'locks (per venv, per build key; holder named; concurrent runs)',
    where: 'src/remote/wwremote/lock.py',
    shown: [
      T(ENSURE_I, 'a lock held by another process times out naming the holder'),
      T(WHEELS_I, 'a second build of the same key waits for the lock and times out naming the holder'),
      T(ROLE, 'two concurrent runs on the same targets both end correctly'), T(SHARED, 'test_timeout_names_the_holder_json_or_text'),
    ],
  },
  {
    point: 'Acc.', what: 'no-build mode',
    where: 'src/venvbuild/target.ts (noBuildSpec); src/venvbuild/settings.ts',
    shown: [T(ROLE, 'no-build mode on one host builds on the target itself; more than 2 hosts are refused')],
  },
  {
    point: 'Acc.', what: 'facts (`venv_facts_when_changed`), read back by Ansible',
    where: 'src/remote/wwremote/facts.py',
    shown: [T(ROLE, 'facts are read back by real Ansible as ansible_local'), T(SHARED, 'test_facts_keep_other_sections_and_report_current')],
  },
  {
    point: 'Acc.', what: 'symlinked distro modules (`venv_packages_to_symlink`), repaired on a no-op',
    where: 'src/remote/wwremote/symlinks.py',
    shown: [T(SHARED, 'test_links_made_repaired_and_kept'), T(ROLE, COLD)],
  },
  {
    point: 'Acc.', what: 'handlers: `venv changed` only when the venv changed',
    where: 'roles/python_venv_build/tasks/main.yml (notify)',
    shown: [T(ROLE, COLD), T(ROLE, 'a requirement change builds only what is new and makes a new generation; the previous one stays')],
  },
  {
    point: 'Acc.', what: '`bash .ci/run` passes on a clean clone',
    where: '.ci/run',
    shown: [HAS('.ci/run', 'exec bash scripts/test.sh')],
    gap: 'the whole run needs the lab and ~13 min: not part of this check',
  },
];

/** The "Issue 9 coverage" section of docs/python_venv_build.md. */
export function issue9CoverageMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  // one entry per file: `file` › "title", "title" (a figure or text: `file` ("text"))
  const shown = (list: Shown[]) => {
    const byFile = new Map<string, Shown[]>();
    for (const s of list) byFile.set(`${s.kind ?? 'test'}\0${s.file}`, [...(byFile.get(`${s.kind ?? 'test'}\0${s.file}`) ?? []), s]);
    return [...byFile.values()]
      .map((g) => {
        const s = g[0]!;
        if (s.kind === 'figure' || s.kind === 'file') return `${s.kind === 'figure' ? 'figure: ' : ''}\`${s.file}\` (${g.map((x) => `"${cell(x.text)}"`).join(', ')})`;
        return `\`${s.file.replace(/^test\//, '')}\` › ${g.map((x) => `"${cell(x.text)}"`).join(', ')}`;
      })
      .join('; ');
  };
  const rows = ISSUE9_COVERAGE.map((r) => `| ${r.point} | ${cell(r.what)} | ${cell(r.where)} | ${shown(r.shown)} | ${r.gap ? cell(r.gap) : '—'} |`);
  return `## Issue 9 coverage

Where each point of issue 9 (Deliver 1-7, Acceptance) is done and which test or bench figure shows it
(generated from src/venvbuild/issue9-coverage.ts; test/unit/issue9-coverage.test.ts checks that each
file named exists and holds the named test or text). Python tests run with
\`python3 -m unittest discover -s src/remote/tests\`; the lab tests under \`integration/\` need the lab.

| point | what | where | shown by (file › test) | gap |
|---|---|---|---|---|
${rows.join('\n')}
`;
}
