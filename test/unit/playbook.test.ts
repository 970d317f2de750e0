import { expect } from 'chai';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/errors.js';
import { loadPlaybook, loadTaskFile, PlaybookError, type Playbook, type Task } from '../../src/playbook/index.js';
import { registerModule, unregisterModule } from '../../src/modules/registry.js';
import { fakeLookup, fakeNames } from '../fixtures/playbooks/fake-modules.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/playbooks');
/** How the loader shows a fixture path in messages (relative to the working directory). */
const shown = (rel: string) => {
  const abs = path.join(FIX, rel);
  const r = path.relative(process.cwd(), abs);
  return r.startsWith('..') ? abs : r;
};
const opts = { lookupModule: fakeLookup, moduleNames: fakeNames, roleSearchPaths: [path.join(FIX, 'shared-roles')] };

async function load(rel: string): Promise<Playbook> {
  return loadPlaybook(path.join(FIX, rel), opts);
}

async function loadError(rel: string): Promise<PlaybookError> {
  try {
    await load(rel);
  } catch (e) {
    expect(e).to.be.instanceOf(UserError);
    expect(e).to.be.instanceOf(PlaybookError);
    return e as PlaybookError;
  }
  throw new Error(`${rel} loaded without error`);
}

/** The messages, one `file:line:col: problem` per line. */
async function errorLines(rel: string): Promise<string[]> {
  return (await loadError(rel)).message.split('\n');
}

const at = (rel: string, line: number, col: number) => ({ file: shown(rel), line, col });

function baseTask(over: Partial<Task>): Task {
  return {
    kind: 'task',
    pos: at('x', 1, 1),
    args: {},
    when: [],
    notify: [],
    runOnce: false,
    tags: [],
    ignoreErrors: false,
    ignoreUnreachable: false,
    environment: {},
    vars: {},
    listen: [],
    noLog: false,
    ...over,
  };
}

describe('playbook loader', () => {
  describe('a playbook using every keyword', () => {
    let pb: Playbook;
    before(async () => {
      pb = await load('full/site.yml');
    });

    it('records the file and expands import_playbook into plays', () => {
      expect(pb.file).to.equal(path.join(FIX, 'full/site.yml'));
      expect(pb.baseDir).to.equal(path.join(FIX, 'full'));
      expect(pb.plays.map((p) => p.name)).to.deep.equal(['all', 'Everything']);
      const imported = pb.plays[0]!;
      expect(imported.hosts).to.equal('all');
      expect(imported.tags).to.deep.equal(['setup']);
      expect(imported.vars).to.deep.equal({ imported: true });
      expect(imported.gatherFacts).to.equal(false);
      expect(imported.tasks.map((t) => [t.name, t.module, t.tags])).to.deep.equal([['setup ping', 'ping', ['setup']]]);
      expect(imported.pos).to.deep.equal(at('full/setup.yml', 1, 3));
    });

    it('reads every play keyword', () => {
      const p = pb.plays[1]!;
      expect(p.pos).to.deep.equal(at('full/site.yml', 6, 3));
      expect(p.hosts).to.equal('web:db');
      expect(p.vars).to.deep.equal({ app: 'demo' });
      expect(p.varsFiles).to.deep.equal([{ common: 1 }]);
      expect(p.serial).to.deep.equal([1, '50%']);
      expect(p.maxFailPercentage).to.equal(30);
      expect(p.anyErrorsFatal).to.equal(true);
      expect(p.gatherFacts).to.equal(false);
      expect(p.become).to.equal(true);
      expect(p.becomeUser).to.equal('root');
      expect(p.becomeMethod).to.equal('sudo');
      expect(p.environment).to.deep.equal({ LANG: 'C' });
      expect(p.connection).to.equal('ssh');
      expect(p.tags).to.deep.equal(['play']);
      expect(p.baseDir).to.equal(path.join(FIX, 'full'));
    });

    it('reads every task keyword into the model', () => {
      const t = pb.plays[1]!.tasks[0]!;
      expect(t).to.deep.equal(
        baseTask({
          pos: at('full/site.yml', 41, 7),
          name: 'Run a command',
          module: 'command',
          action: 'ansible.builtin.command',
          args: { _raw_params: 'echo hi', chdir: '/tmp', creates: '/tmp/hi' },
          when: ["app == 'demo'", 'true'],
          loop: [1, 2],
          loopControl: { label: '{{ n }}', loopVar: 'n', indexVar: 'i' },
          register: 'out',
          notify: ['restart web'],
          delegateTo: 'localhost',
          runOnce: true,
          tags: ['play', 'one', 'two'],
          retries: 3,
          delay: 2,
          until: ['out.rc == 0'],
          ignoreErrors: true,
          ignoreUnreachable: true,
          changedWhen: ['false'],
          failedWhen: ['out.rc > 1'],
          environment: { FOO: 'bar' },
          become: false,
          becomeUser: 'app',
          becomeMethod: 'su',
          vars: { x: 1 },
          checkMode: false,
          diff: true,
          noLog: true,
        }),
      );
    });

    it('parses key=value strings and free-form commands', () => {
      const [, copy, shell] = pb.plays[1]!.tasks;
      expect(copy!.module).to.equal('copy');
      expect(copy!.args).to.deep.equal({ src: 'a.txt', dest: '/tmp/a b.txt', mode: '0644' });
      expect(shell!.name).to.equal(undefined);
      expect(shell!.args).to.deep.equal({ _raw_params: 'echo one\necho two\n' });
      // with_items: the items lookup (which flattens one level, as Ansible's) runs on the terms per host
      expect(shell!.loopWith).to.equal('items');
      expect(shell!.loop).to.deep.equal([['a', 'b'], 'c']);
    });

    it('hands block keywords down to block, rescue and always tasks', () => {
      const b = pb.plays[1]!.tasks[3]!;
      expect(b.kind).to.equal('block');
      expect(b.name).to.equal('Guarded');
      expect(b.when).to.deep.equal(['block_ok']);
      expect(b.tags).to.deep.equal(['play', 'blk']);
      expect(b.become).to.equal(true);
      const inside = b.block![0]!;
      expect([inside.name, inside.module, inside.when, inside.tags, inside.become, inside.environment, inside.vars]).to.deep.equal([
        'inside',
        'ping',
        ['block_ok'],
        ['play', 'blk', 'inner'],
        true,
        { A: '1', B: '2' },
        { bv: 1 },
      ]);
      expect(b.rescue!.map((t) => [t.args, t.when, t.tags, t.environment])).to.deep.equal([
        [{ msg: 'rescued' }, ['block_ok'], ['play', 'blk'], { A: '1', B: '1' }],
      ]);
      expect(b.always!.map((t) => t.args)).to.deep.equal([{ msg: 'always' }]);
    });

    it('expands import_tasks in place, nested imports relative to the importing file', () => {
      const tasks = pb.plays[1]!.tasks;
      const extra = tasks[4]!;
      const nested = tasks[5]!;
      expect([extra.name, extra.pos, extra.when, extra.tags, extra.vars]).to.deep.equal([
        'extra one',
        at('full/tasks/extra.yml', 1, 3),
        ['extra_ok'],
        ['play', 'extra', 'e1'],
        { ev: 2 },
      ]);
      expect([nested.name, nested.when, nested.tags, nested.vars]).to.deep.equal(['nested', ['extra_ok'], ['play', 'extra'], { ev: 2 }]);
    });

    it('loads a static include_tasks at load time and leaves a templated one for run time', () => {
      const [inc, dyn] = pb.plays[1]!.tasks.slice(6);
      expect(inc!.kind).to.equal('include');
      expect(inc!.loop).to.deep.equal(['x', 'y']);
      expect(inc!.include).to.deep.equal({ file: path.join(FIX, 'full/tasks/inc.yml'), baseDir: path.join(FIX, 'full'), written: 'tasks/inc.yml' });
      expect(inc!.block!.map((t) => [t.name, t.args, t.tags])).to.deep.equal([['included', { msg: '{{ item }}' }, ['play']]]);
      expect(dyn!.kind).to.equal('include');
      expect(dyn!.include).to.deep.equal({ file: 'tasks/{{ which }}.yml', baseDir: path.join(FIX, 'full'), written: 'tasks/{{ which }}.yml' });
      expect(dyn!.block).to.equal(undefined);
    });

    it('puts pre_tasks, post_tasks and handlers in their places; handlers keep their own tags', () => {
      const p = pb.plays[1]!;
      expect(p.preTasks.map((t) => [t.name, t.args])).to.deep.equal([['Say hi', { msg: 'hello' }]]);
      expect(p.postTasks.map((t) => [t.name, t.args])).to.deep.equal([['Bye', { var: 'app' }]]);
      expect(p.handlers.map((h) => [h.name, h.role?.name, h.args, h.listen, h.tags])).to.deep.equal([
        ['reload web', 'web', { name: 'nginx', state: 'reloaded' }, [], []],
        ['restart web', undefined, { name: 'nginx', state: 'restarted' }, ['web changed'], ['h']],
      ]);
    });

    it('loads roles with meta dependencies first, once, from roles/ and the search paths', () => {
      const p = pb.plays[1]!;
      // the play's roles (as Ansible's play.get_roles()): dependencies come with the role that needs them
      expect(p.roles.map((r) => [r.name, r.path])).to.deep.equal([
        ['web', path.join(FIX, 'full/roles/web')],
        ['app', path.join(FIX, 'shared-roles/app')],
      ]);
      const base = p.roleTasks.find((t) => t.role?.name === 'base')!.role!;
      expect(base.path).to.equal(path.join(FIX, 'full/roles/base'));
      expect(p.roleTasks.findIndex((t) => t.role?.name === 'base')).to.be.lessThan(p.roleTasks.findIndex((t) => t.role?.name === 'web'));
      const [web, app] = p.roles;
      // a dependency's tasks also see the defaults of the role that depends on it (Ansible's dep_chain)
      expect(base.defaults).to.deep.equal({ base: true, web_port: 80 });
      expect(base.exportDefaults).to.deep.equal({ base: true });
      expect(web!.defaults).to.deep.equal({ base: true, web_port: 80 });
      expect(web!.vars).to.deep.equal({ web_user: 'www' });
      // `vars:` of the entry are the role's vars (below its vars/main); other keys are parameters
      expect(app!.vars).to.include({ port: 8080 });
      expect(app!.params).to.deep.equal({ flavour: 'blue' });
    });

    it('gives role tasks their role and the role entry tags and conditions', () => {
      const p = pb.plays[1]!;
      expect(p.roleTasks.map((t) => [t.name, t.role?.name, t.tags, t.when])).to.deep.equal([
        ['base one', 'base', ['play'], []],
        ['base two', 'base', ['play'], []],
        ['web task', 'web', ['play'], []],
        ['app task', 'app', ['play', 'app'], ['deploy_app']],
        ['app more', 'app', ['play', 'app'], ['deploy_app']],
      ]);
      expect(p.roleTasks[4]!.args).to.deep.equal({ dest: '/srv/app', state: 'directory' });
      expect(p.roleTasks[0]!.pos).to.deep.equal(at('full/roles/base/tasks/main/01-first.yml', 1, 3));
    });
  });

  describe('errors, exactly, at file:line:col', () => {
    it('an unknown keyword, with a hint', async () => {
      expect(await errorLines('errors/unknown-keyword.yml')).to.deep.equal([
        `${shown('errors/unknown-keyword.yml')}:5:7: unknown keyword 'regsiter' in task 'Greet'; did you mean 'register'?`,
      ]);
    });

    it('a cut-off keyword in an included file, with a hint', async () => {
      expect(await errorLines('errors/included-bad.yml')).to.deep.equal([
        `${shown('errors/tasks/bad.yml')}:3:3: unknown keyword 'delegate' in task 'bad inside'; did you mean 'delegate_to'?`,
      ]);
    });

    it('unknown modules (with a hint when one is close)', async () => {
      const f = shown('errors/unknown-module.yml');
      expect(await errorLines('errors/unknown-module.yml')).to.deep.equal([
        `${f}:4:7: unknown module 'debgu' in task 'Typo'; did you mean 'debug'?; wheelwright has these modules: command, copy, debug, file, ping, service, set_fact, shell, wait_for`,
        `${f}:6:7: unknown module 'frobnicate' in task 'Made up'; wheelwright has these modules: command, copy, debug, file, ping, service, set_fact, shell, wait_for`,
      ]);
    });

    it('a missing required argument, at the module key', async () => {
      const e = await loadError('errors/missing-arg.yml');
      expect(e.message).to.equal(`${shown('errors/missing-arg.yml')}:4:7: missing required argument 'dest' for module 'copy' (task 'Copy it')`);
      expect(e.pos).to.deep.equal(at('errors/missing-arg.yml', 4, 7));
    });

    it('wrong argument types and unsupported arguments, at the argument', async () => {
      const f = shown('errors/wrong-arg-type.yml');
      expect(await errorLines('errors/wrong-arg-type.yml')).to.deep.equal([
        `${f}:6:9: argument 'enabled' of module 'service' must be a boolean, got string "maybe" (task 'Start it')`,
        `${f}:8:27: argument 'port' of module 'wait_for' must be an integer, got string "http" (task 'Wait')`,
        `${f}:10:27: unsupported argument 'colour' for module 'copy' (supported: backup, content, dest, mode, src) (task 'Odd')`,
      ]);
    });

    it('bad YAML', async () => {
      expect(await errorLines('errors/bad-yaml.yml')).to.deep.equal([
        `${shown('errors/bad-yaml.yml')}:5:1: YAML syntax error: Sequence item without - indicator`,
      ]);
    });

    it('a missing vars file', async () => {
      expect(await errorLines('errors/missing-vars-file.yml')).to.deep.equal([
        `${shown('errors/missing-vars-file.yml')}:3:7: vars file not found: ${shown('errors/vars/nope.yml')}`,
      ]);
    });

    it('two modules in a task, and none', async () => {
      expect(await errorLines('errors/two-modules.yml')).to.deep.equal([
        `${shown('errors/two-modules.yml')}:5:7: task 'Both' has more than one module: shell, command`,
      ]);
      expect(await errorLines('errors/no-module.yml')).to.deep.equal([
        `${shown('errors/no-module.yml')}:3:7: task 'Nothing to do' has no module (a task needs exactly one, e.g. 'command: ...')`,
      ]);
    });

    it('wrong keyword value types', async () => {
      const f = shown('errors/keyword-types.yml');
      expect(await errorLines('errors/keyword-types.yml')).to.deep.equal([
        `${f}:2:15: keyword 'serial' in play 'all' must be a number, a percentage such as '30%', or a list of them, got 'x'`,
        `${f}:6:16: keyword 'retries' in task 'Retry' must be an integer (0 or more), got string "lots"`,
        `${f}:9:15: keyword 'notify' in task 'Tell' must be a string or a list of strings, got a mapping`,
      ]);
    });

    it('unsupported and misspelt play keywords', async () => {
      const f = shown('errors/play-keywords.yml');
      expect(await errorLines('errors/play-keywords.yml')).to.deep.equal([
        `${f}:2:3: 'gather_subset' is an Ansible keyword that wheelwright does not support: facts are gathered in one fixed set (play 'all')`,
        `${f}:4:3: unknown keyword 'taks' in play 'all'; did you mean 'tasks'?`,
      ]);
    });

    it('a missing role, naming where it looked', async () => {
      const e = await loadError('errors/missing-role.yml');
      expect(e.message).to.equal(
        `${shown('errors/missing-role.yml')}:3:7: role 'nosuchrole' not found (searched: ${shown('errors/roles')}, ${shown('shared-roles')}, ${shown('errors')})`,
      );
    });

    it('a missing import_tasks file', async () => {
      expect(await errorLines('errors/missing-import.yml')).to.deep.equal([
        `${shown('errors/missing-import.yml')}:3:21: tasks file not found: nowhere.yml (looked in ${shown('errors')})`,
      ]);
    });

    it('a task keyword on a block', async () => {
      expect(await errorLines('errors/bad-block.yml')).to.deep.equal([
        `${shown('errors/bad-block.yml')}:7:7: keyword 'loop' is not allowed on a block (block 'Blocky')`,
      ]);
    });
  });

  describe('run-time include_tasks and odd corners', () => {
    let dir: string;
    beforeEach(() => {
      dir = tempDir('ww-playbook-');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const write = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    };

    it('loadTaskFile loads a templated include for the runner: the play\'s tags and the include\'s vars, not its own tags (as Ansible)', async () => {
      write('site.yml', '- hosts: all\n  tags: p\n  tasks:\n    - include_tasks: "{{ f }}.yml"\n      tags: inc\n      when: go\n      vars: {a: 1}\n');
      write('later.yml', '- name: later\n  ping:\n  tags: own\n');
      const pb = await loadPlaybook(path.join(dir, 'site.yml'), opts);
      const inc = pb.plays[0]!.tasks[0]!;
      expect(inc.kind).to.equal('include');
      const tasks = await loadTaskFile('later.yml', { baseDir: inc.include!.baseDir, parent: inc, lookupModule: fakeLookup });
      expect(tasks.map((t) => [t.name, t.tags, t.when, t.vars])).to.deep.equal([['later', ['p', 'own'], [], { a: 1 }]]);
    });

    it('loadTaskFile reports problems as UserErrors at file:line:col', async () => {
      write('bad.yml', '- name: bad\n  pingg:\n');
      try {
        await loadTaskFile('bad.yml', { baseDir: dir, lookupModule: fakeLookup, moduleNames: fakeNames });
        expect.fail('loaded');
      } catch (e) {
        expect(e).to.be.instanceOf(UserError);
        expect((e as Error).message).to.match(/bad\.yml:2:3: unknown module 'pingg' in task 'bad'; did you mean 'ping'\?; wheelwright has these modules: /);
      }
      try {
        await loadTaskFile('absent.yml', { baseDir: dir, lookupModule: fakeLookup });
        expect.fail('loaded');
      } catch (e) {
        expect(e).to.be.instanceOf(UserError);
        expect((e as Error).message).to.match(/^tasks file not found: absent\.yml/);
      }
    });

    it('finds an import relative to the role tasks dir, then the playbook dir', async () => {
      write('site.yml', '- hosts: all\n  roles: [r]\n');
      write('roles/r/tasks/main.yml', '- import_tasks: sub/a.yml\n');
      write('roles/r/tasks/sub/a.yml', '- import_tasks: b.yml\n- import_tasks: common.yml\n');
      write('roles/r/tasks/b.yml', '- name: from role tasks dir\n  ping:\n');
      write('common.yml', '- name: from playbook dir\n  ping:\n');
      const pb = await loadPlaybook(path.join(dir, 'site.yml'), opts);
      expect(pb.plays[0]!.roleTasks.map((t) => [t.name, t.role?.name])).to.deep.equal([
        ['from role tasks dir', 'r'],
        ['from playbook dir', 'r'],
      ]);
    });

    it('reports an import cycle instead of looping', async () => {
      write('site.yml', '- hosts: all\n  tasks:\n    - import_tasks: a.yml\n');
      write('a.yml', '- import_tasks: a.yml\n');
      try {
        await loadPlaybook(path.join(dir, 'site.yml'), opts);
        expect.fail('loaded');
      } catch (e) {
        expect((e as Error).message).to.match(/a\.yml:1:17: tasks file includes itself: .*a\.yml -> .*a\.yml$/);
      }
    });

    it('accepts hosts lists, numeric and percentage serial, FQCN modules and YAML 1.1 scalars', async () => {
      write(
        'site.yml',
        [
          '- hosts: [a, b]',
          '  serial: "25%"',
          '  tasks:',
          '    - ansible.builtin.file: path=/x mode=0755',
          '    - file: {path: /y, mode: 0644, state: directory}',
          '      when: yes',
          '      tags: [y, e1]',
          '',
        ].join('\n'),
      );
      const pb = await loadPlaybook(path.join(dir, 'site.yml'), opts);
      const p = pb.plays[0]!;
      expect(p.hosts).to.equal('a:b');
      expect(p.serial).to.deep.equal(['25%']);
      expect(p.tasks[0]!.module).to.equal('file');
      expect(p.tasks[0]!.args).to.deep.equal({ path: '/x', mode: '0755' });
      expect(p.tasks[1]!.args).to.deep.equal({ path: '/y', mode: 0o644, state: 'directory' });
      expect(p.tasks[1]!.when).to.deep.equal(['true']);
      expect(p.tasks[1]!.tags).to.deep.equal(['y', 'e1']);
    });

    it('lets anyArgs modules (set_fact) take any variable name, checking their declared args', async () => {
      write('site.yml', '- hosts: all\n  tasks:\n    - set_fact: {a: 1, cacheable: yes}\n    - set_fact: {b-c: 1, cacheable: 3}\n');
      try {
        await loadPlaybook(path.join(dir, 'site.yml'), opts);
        expect.fail('loaded');
      } catch (e) {
        expect((e as Error).message.replace(/^.*site\.yml:/gm, '')).to.equal(
          [
            "4:18: 'b-c' is not a valid variable name for module 'set_fact' (task 'set_fact')",
            "4:26: argument 'cacheable' of module 'set_fact' must be a boolean, got number 3 (task 'set_fact')",
          ].join('\n'),
        );
      }
    });

    it('looks modules up in the registry by default', async () => {
      // the process-wide registry: the test's module goes again, or later files (modules-framework) see it
      registerModule({ name: 'ww_test_registry_only', argSpec: { x: { type: 'int', required: true } }, run: async () => ({ changed: false }) });
      try {
        write('site.yml', '- hosts: all\n  tasks:\n    - ww_test_registry_only: x=3\n');
        const pb = await loadPlaybook(path.join(dir, 'site.yml'));
        expect(pb.plays[0]!.tasks[0]!.args).to.deep.equal({ x: '3' });
      } finally {
        unregisterModule('ww_test_registry_only');
      }
    });
  });
});
