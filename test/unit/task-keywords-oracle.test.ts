/**
 * Task-level keywords (issue 13 points 1 and 2): keywords written as templates, with_* loops as
 * lookups, loop over lookup()/query(), until as a list, vars as a list, local_action, action:,
 * module_defaults, throttle, play-level run_once. ansible-playbook and wheelwright run the same
 * playbooks on localhost-like hosts (connection local, no lab) and must give the same per-task
 * results, recap and exit code. One Ansible process runs every playbook (forked per playbook).
 */
import { expect } from 'chai';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import { runPlaybook, type RunSummary } from '../../src/runner/run.js';
import type { RunEvent } from '../../src/runner/events.js';
import { terminalSink } from '../../src/output/terminal.js';
import '../../src/modules/index.js';
import { ansiblePlaybooks, ansibleResults, type AnsibleRun } from '../helpers/ansible.js';
import { alive } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

const INVENTORY = `h1 ansible_connection=local
h2 ansible_connection=local
h3 ansible_connection=local
`;

/** Point 1: every keyword that takes a value may be a template (rendered per host, per item). */
const TEMPLATED = `- hosts: h1,h2
  gather_facts: false
  vars:
    t: true
    f: false
    n: 2
    z: 0
    nobody: nobody
    meth: sudo
    per_host: {h1: true, h2: false}
  tasks:
    - name: ignore_errors
      command: "false"
      ignore_errors: "{{ t }}"
    - name: ignore_errors string
      command: "false"
      ignore_errors: "{{ 'yes' }}"
    - name: retries and delay
      command: "echo x"
      register: r
      until: r.stdout == 'never'
      retries: "{{ n }}"
      delay: "{{ z }}"
      ignore_errors: true
    - name: run_once
      command: "echo {{ inventory_hostname }}"
      run_once: "{{ t }}"
    - name: no_log
      command: "echo secret"
      no_log: "{{ t }}"
    - name: become
      command: whoami
      become: "{{ t }}"
      become_user: "{{ nobody }}"
      become_method: "{{ meth }}"
    - name: check_mode
      command: "echo hi"
      check_mode: "{{ t }}"
    - block:
        - name: block ignore_errors
          command: "false"
      ignore_errors: "{{ t }}"
    - block:
        - name: task value over block template
          command: "false"
          ignore_errors: true
      ignore_errors: "{{ f }}"
    - name: per item
      command: "false"
      loop: [1, 2]
      ignore_errors: "{{ item == 1 or item == 2 }}"
    - name: per host
      command: "false"
      ignore_errors: "{{ per_host[inventory_hostname] }}"
    - name: after
      command: "echo after"
    - name: until list
      command: "echo 5"
      register: u
      until: ["u.stdout == '5'", "u.rc == 0"]
      retries: 1
      delay: 0
    - name: retries without until runs once
      command: "false"
      retries: 2
      delay: 0
      ignore_errors: true
    - name: until with retries 0 is not checked
      command: "echo 0"
      register: u0
      until: u0.stdout == 'never'
      retries: 0
      delay: 0
    - name: attempts seen by changed_when
      command: "echo a"
      register: ua
      until: ua.rc == 0
      changed_when: ua.attempts == 1
      delay: 0
    - name: vars list
      debug: {msg: "{{ a }}-{{ b }}"}
      vars:
        - {a: 1, b: 2}
        - {b: 3}
`;

/** Point 2: the with_* loops as lookups, and loop over lookup()/query(). */
const LOOPS = `- hosts: h1
  gather_facts: false
  vars:
    d: {b: 2, a: 1}
    l1: [1, 2]
    l2: [x, y, z]
    nested: [[1, [2, 3]], 4]
    users:
      - {name: u1, groups: [g1, g2]}
      - {name: u2, groups: [g3]}
      - {name: u3}
  tasks:
    - name: with_items static nested
      debug: {msg: "{{ item }}"}
      with_items: [1, [2, 3], [[4]]]
    - name: with_items template
      debug: {msg: "{{ item }}"}
      with_items: "{{ nested }}"
    - name: with_items scalar
      debug: {msg: "{{ item }}"}
      with_items: "{{ l2[0] }}"
    - name: with_list
      debug: {msg: "{{ item }}"}
      with_list: "{{ nested }}"
    - name: with_dict
      debug: {msg: "{{ item.key }}={{ item.value }}"}
      with_dict: "{{ d }}"
    - name: with_dict static
      debug: {msg: "{{ item.key }}={{ item.value }}"}
      with_dict: {p: 1, q: 2}
    - name: with_nested
      debug: {msg: "{{ item[0] }}-{{ item[1] }}"}
      with_nested:
        - "{{ l1 }}"
        - [a, b]
    - name: with_together
      debug: {msg: "{{ item }}"}
      with_together:
        - "{{ l1 }}"
        - "{{ l2 }}"
    - name: with_indexed_items
      debug: {msg: "{{ item.0 }}:{{ item.1 }}"}
      with_indexed_items: "{{ l2 }}"
    - name: with_sequence
      debug: {msg: "{{ item }}"}
      with_sequence: start=1 end=9 stride=3 format=n%02d
    - name: with_sequence count
      debug: {msg: "{{ item }}"}
      with_sequence: count=3
    - name: with_subelements
      debug: {msg: "{{ item.0.name }}:{{ item.1 }}"}
      with_subelements:
        - "{{ users }}"
        - groups
        - skip_missing: true
    - name: with_fileglob
      debug: {msg: "{{ item | basename }}"}
      with_fileglob: ["files/*.cfg"]
    - name: with_first_found
      debug: {msg: "{{ item | basename }}"}
      with_first_found:
        - files/missing.txt
        - files/b.txt
    - name: loop query
      debug: {msg: "{{ item.key }}"}
      loop: "{{ query('dict', d) }}"
    - name: loop lookup wantlist
      debug: {msg: "{{ item }}"}
      loop: "{{ lookup('sequence', 'start=2 end=4', wantlist=True) }}"
    - name: loop q
      debug: {msg: "{{ item }}"}
      loop: "{{ q('together', l1, l2) }}"
    - name: with_items register
      command: "echo {{ item }}"
      with_items: [p, q]
      register: reg
    - name: registered items
      debug: {msg: "{{ reg.results | map(attribute='item') | join(',') }}"}
`;

/** with_<lookup> on include_tasks; the recap counts each file included as ok, a skipped include as skipped */
const INCLUDE_LOOP = `- hosts: h1
  gather_facts: false
  tasks:
    - name: include with_dict
      include_tasks: inc.yml
      with_dict: {k1: v1, k2: v2}
    - name: include skipped
      include_tasks: inc.yml
      when: false
    - name: include some items
      include_tasks: inc.yml
      with_dict: {k1: v1, k2: v2}
      when: item.key == 'k2'
    - name: include no items
      include_tasks: inc.yml
      loop: []
`;

/** Point 2: action:, local_action, module_defaults, throttle, play-level run_once. */
const OTHERS = `- hosts: h1
  gather_facts: false
  vars: {who: defaults}
  module_defaults:
    command: {chdir: /tmp}
    ansible.builtin.debug: {msg: "from {{ who }}"}
  tasks:
    - name: action string
      action: command echo hi
    - name: action mapping
      action: {module: debug, msg: hello}
    - name: local_action string
      local_action: command echo {{ inventory_hostname }}
    - name: local_action mapping
      local_action:
        module: debug
        msg: "{{ inventory_hostname }}"
    - name: play module_defaults
      command: pwd
    - name: debug from defaults
      debug:
    - name: own args win
      command: pwd
      args: {chdir: /usr}
    - block:
        - name: block module_defaults
          command: pwd
        - name: task module_defaults
          command: pwd
          module_defaults:
            command: {chdir: /var}
      module_defaults:
        ansible.builtin.command: {chdir: /}
- hosts: h1,h2,h3
  gather_facts: false
  tasks:
    - name: throttle
      shell: "mkdir {{ lockdir }} && sleep 0.2 && rmdir {{ lockdir }}"
      throttle: 1
    - name: throttle templated
      shell: "mkdir {{ lockdir }} && sleep 0.2 && rmdir {{ lockdir }}"
      throttle: "{{ 2 - 1 }}"
- hosts: h1,h2,h3
  gather_facts: false
  run_once: true
  tasks:
    - name: play run_once
      command: "echo {{ inventory_hostname }}"
      register: once
    - name: play run_once shared
      debug: {msg: "{{ once.stdout }}"}
      run_once: false
`;

/** Point 2: async/poll: a job waited for, one in the background checked with async_status, a timeout. */
const ASYNC = `- hosts: h1
  gather_facts: false
  tasks:
    - name: background
      shell: "while [ ! -e {{ lockdir }}-flag ]; do sleep 0.05; done; echo done"
      async: 60
      poll: 0
      register: job
    - name: status while running
      async_status: jid={{ job.ansible_job_id }}
      register: st0
    - name: let it finish
      file: {path: "{{ lockdir }}-flag", state: touch}
    - name: status until finished
      async_status:
        jid: "{{ job.ansible_job_id }}"
      register: st
      until: st.finished
      retries: 100
      delay: 1
    - name: waited for
      command: echo polled
      async: 20
      poll: 1
    - name: past its time
      shell: "while [ ! -e {{ lockdir }}-never ]; do sleep 0.05; done"
      async: 1
      poll: 1
      ignore_errors: true
    - name: unknown job
      async_status: jid=nope
      ignore_errors: true
`;

/**
 * Task-level `timeout` (issue 13): a command that waits for a file nobody creates (until the test
 * ends) is stopped at the limit; set on the task, templated, inherited from block and play, per
 * loop item, with until (no retry) and failed_when (not applied), rescued. Each blocked command
 * first writes its PID, so the test can check that none outlives wheelwright's run.
 */
const BLOCKED = (tag: string) => `echo $$ > {{ lockdir }}-pid-${tag}-{{ inventory_hostname }}; while [ ! -e {{ lockdir }}-release ]; do sleep 0.05; done`;
const TIMEOUT = `- hosts: h1,h2
  gather_facts: false
  timeout: 60
  vars: {one: 1}
  tasks:
    - name: fast within the play's timeout
      command: echo fast
    - name: task timeout
      shell: "${BLOCKED('task')}"
      timeout: 1
      register: r
      ignore_errors: true
    - name: registered timeout
      debug: {msg: "{{ r.msg }} / {{ r.failed }} / {{ r.changed }}"}
    - name: templated timeout
      ansible.builtin.shell: "${BLOCKED('tpl')}"
      timeout: "{{ one }}"
      ignore_errors: true
    - block:
        - name: block timeout
          shell: "${BLOCKED('block')}"
      timeout: 1
      ignore_errors: true
    - name: timeout with until is not retried
      shell: "${BLOCKED('until')}"
      register: u
      until: u.rc == 0
      retries: 3
      delay: 0
      timeout: 1
      ignore_errors: true
    - name: failed_when is not applied
      shell: "${BLOCKED('fw')}"
      failed_when: false
      timeout: 1
      ignore_errors: true
    - name: per item
      shell: "${BLOCKED('item-{{ item }}')}"
      loop: [a, b]
      timeout: 1
      ignore_errors: true
    - name: timeout 0 is no limit
      command: echo unlimited
      timeout: 0
    - name: rescued
      block:
        - name: times out in a block
          shell: "${BLOCKED('rescue')}"
          timeout: 1
          register: rr
      rescue:
        - name: rescue sees it
          debug: {msg: "{{ rr.msg }}"}
`;

/** debug of every type of msg and var, compared as results (and as printed, below). */
const DEBUG = `- hosts: h1
  gather_facts: false
  vars:
    d: {b: 2, a: [1, "x"], c: null, u: "é", nested: {k: [true, false]}}
    l: [1, 2.5, true, null, "s"]
    n: 42
    f: 1.5
    b: true
    s: "multi\\nline \\"quoted\\" tab\\t"
    e: {}
    el: []
  tasks:
    - {name: msg dict, debug: {msg: "{{ d }}"}}
    - {name: msg list, debug: {msg: "{{ l }}"}}
    - {name: msg int, debug: {msg: "{{ n }}"}}
    - {name: msg float, debug: {msg: "{{ f }}"}}
    - {name: msg bool, debug: {msg: "{{ b }}"}}
    - {name: msg text, debug: {msg: "{{ s }}"}}
    - {name: msg literal dict, debug: {msg: {x: 1, y: [a]}}}
    - {name: msg literal list, debug: {msg: [1, 2]}}
    - {name: msg literal int, debug: {msg: 7}}
    - {name: msg literal bool, debug: {msg: false}}
    - {name: msg empty dict, debug: {msg: "{{ e }}"}}
    - {name: msg empty list, debug: {msg: "{{ el }}"}}
    - {name: msg default, debug: }
    - {name: var dict, debug: {var: d}}
    - {name: var list, debug: {var: l}}
    - {name: var int, debug: {var: n}}
    - {name: var float, debug: {var: f}}
    - {name: var bool, debug: {var: b}}
    - {name: var text, debug: {var: s}}
    - {name: var path, debug: {var: d.a}}
    - {name: var undefined, debug: {var: nope}}
    - {name: var undefined attribute, debug: {var: d.nope}}
    - {name: registered, debug: {msg: "{{ d }}"}, register: reg}
    - {name: registered msg keeps its type, debug: {msg: "{{ reg.msg.nested.k | length }} {{ reg.msg | type_debug }}"}}
    - {name: msg in a loop, debug: {msg: "{{ {'i': item} }}"}, loop: [1, 2]}
`;

/**
 * The `!unsafe` YAML tag (issue 13): in play vars, vars_files, group_vars and task arguments the
 * text is never templated, and stays so through variables, filters and set_fact that use it; a
 * registered result is never templated either.
 */
const UNSAFE = `- hosts: h1
  gather_facts: false
  vars_files: [unsafe-vars.yml]
  vars:
    pv: !unsafe "{{ pv never }}"
    ref: "{{ pv }}"
    ref2: "{{ ref }} and {{ unsafe_gv }}"
    lst: [!unsafe "{{ a }}", "{{ 'b' }}"]
    d: {k: !unsafe "{{ k }}"}
    endraw: !unsafe "x{% endraw %}{{ y }}{# c #}"
    plain: !unsafe "no template here"
  tasks:
    - {name: unsafe var, debug: {msg: "{{ pv }}"}}
    - {name: through a variable, debug: {msg: "{{ ref }}"}}
    - {name: through two, debug: {msg: "{{ ref2 }}"}}
    - {name: group_vars, debug: {msg: "{{ unsafe_gv }}"}}
    - {name: vars_files, debug: {msg: "{{ unsafe_vf }}"}}
    - {name: in a list, debug: {msg: "{{ lst | join(',') }}"}}
    - {name: in a dict, debug: {msg: "{{ d.k }}"}}
    - {name: endraw inside, debug: {msg: "{{ endraw }}"}}
    - {name: plain, debug: {msg: "{{ plain }}"}}
    - {name: through a filter, debug: {msg: "{{ pv | upper }}"}}
    - {name: debug var, debug: {var: pv}}
    - {name: task argument, debug: {msg: !unsafe "{{ arg }}"}}
    - name: command argument
      command:
        argv: [echo, !unsafe "{{ argv }}"]
      register: c2
    - {name: registered output, debug: {msg: "{{ c2.stdout }}"}}
    - {name: set_fact, set_fact: {sf: "{{ pv }}"}}
    - {name: set_fact value, debug: {msg: "{{ sf }}"}}
    - {name: set_fact again, set_fact: {sf2: "{{ sf }}x"}}
    - {name: set_fact again value, debug: {msg: "{{ sf2 }}"}}
`;

/** What a rescue sees of the failure: ansible_failed_result and ansible_failed_task (also after it). */
const RESCUE = `- hosts: h1,h2
  gather_facts: false
  tasks:
    - block:
        - name: fails here
          command: "false"
          when: inventory_hostname == 'h1'
        - name: fails with a message
          fail: {msg: "boom {{ inventory_hostname }}"}
      rescue:
        - name: failed result
          debug: {msg: "{{ ansible_failed_result.rc | default('-') }} {{ ansible_failed_result.msg }} {{ ansible_failed_result.failed }}"}
        - name: failed task
          debug: {msg: "{{ ansible_failed_task.name }} / {{ ansible_failed_task.action }}"}
    - name: still seen after the block
      debug: {msg: "{{ ansible_failed_task.name }}"}
`;

/**
 * Registered results (issue 13): the keys Ansible always adds (`failed`, `changed`), a skip's
 * `skip_reason`, failed_when's `failed_when_result`, a loop's summary and per-item keys
 * (`ansible_loop_var`, index, `ansible_loop` with extended), an empty loop, every item run after
 * a failed one, an include's result. The whole registered values are compared (below).
 */
const REGISTERED = `- hosts: h1,h2
  gather_facts: false
  tasks:
    - {name: debug ok, debug: {msg: hi}, register: r_debug}
    - {name: command changed, command: echo hi, register: r_cmd}
    - {name: changed_when false, command: echo hi, register: r_cw, changed_when: false}
    - {name: failed ignored, command: "false", register: r_fail, ignore_errors: true}
    - {name: failed_when false, command: "false", register: r_fw, failed_when: false}
    - {name: failed_when true, command: "true", register: r_fwt, failed_when: true, ignore_errors: true}
    - {name: changed_when error, command: "true", register: r_cwe, changed_when: nope.x, ignore_errors: true}
    - {name: skipped, command: echo hi, register: r_skip, when: false}
    - {name: skipped per host, command: echo hi, register: r_skiph, when: inventory_hostname == 'h2'}
    - {name: set_fact, set_fact: {x: 1}, register: r_sf}
    - {name: assert, assert: {that: [true]}, register: r_assert}
    - {name: fail module, fail: {msg: boom}, register: r_failmod, ignore_errors: true}
    - {name: fail module list msg, fail: {msg: [boom, 2]}, register: r_failmodl, ignore_errors: true}
    - {name: undefined in args, debug: {msg: "{{ nope }}"}, register: r_undef, ignore_errors: true}
    - {name: loop, command: "echo {{ item }}", loop: [1, 2], register: r_loop}
    - {name: loop some skipped, command: "echo {{ item }}", loop: [1, 2], when: item == 2, register: r_loop_skip}
    - {name: loop all skipped, command: "echo {{ item }}", loop: [1, 2], when: false, register: r_loop_allskip}
    - {name: loop empty, command: "echo {{ item }}", loop: [], register: r_loop_empty}
    - {name: loop failed mid, command: "test {{ item }} != 2", loop: [1, 2, 3], register: r_loop_fail, ignore_errors: true}
    - {name: loop index, debug: {msg: "{{ i }}{{ it }}{{ ansible_loop_var }}{{ ansible_index_var }}"}, loop: [a, b], loop_control: {index_var: i, loop_var: it}, register: r_loop_idx}
    - {name: loop extended, debug: {msg: "n{{ ansible_loop.revindex }}"}, loop: [a, b], loop_control: {extended: true}, register: r_loop_ext}
    - {name: loop extended without allitems, debug: {msg: "{{ ansible_loop.previtem | default('-') }}"}, loop: [a, b], loop_control: {extended: "{{ true }}", extended_allitems: false}, register: r_loop_ext2}
    - {name: loop not extended, debug: {msg: "{{ ansible_loop | default('undefined') }}"}, loop: [a], register: r_loop_plain}
    - {name: loop pause, debug: {msg: "{{ item }}"}, loop: [a, b], loop_control: {pause: 0.1}, register: r_loop_pause}
    - {name: until, command: echo hi, register: r_until, until: r_until.rc == 0, retries: 2, delay: 0}
    - {name: include, include_tasks: inc-reg.yml, register: r_inc}
    - {name: include skipped, include_tasks: inc-reg.yml, when: false, register: r_inc_skip}
    - {name: include loop, include_tasks: "{{ 'inc-reg.yml' }}", loop: [a, b], when: item == 'b', register: r_inc_loop}
    - {name: include_role, include_role: {name: regrole}, register: r_incrole}
    - {name: include_role loop, include_role: {name: regrole, tasks_from: main}, loop: [1], register: r_incrole_loop}
    - {name: run_once, command: "echo {{ inventory_hostname }}", run_once: true, register: r_once}
    - {name: no_log, command: echo secret, no_log: true, register: r_nolog}
    - name: all registered
      debug:
        msg:
          debug: "{{ r_debug }}"
          cmd: "{{ r_cmd }}"
          cw: "{{ r_cw }}"
          fail: "{{ r_fail }}"
          fw: "{{ r_fw }}"
          fwt: "{{ r_fwt }}"
          cwe: "{{ r_cwe }}"
          skip: "{{ r_skip }}"
          skiph: "{{ r_skiph }}"
          sf: "{{ r_sf }}"
          assert: "{{ r_assert }}"
          failmod: "{{ r_failmod }}"
          failmodl: "{{ r_failmodl }}"
          undef: "{{ r_undef }}"
          loop: "{{ r_loop }}"
          loop_skip: "{{ r_loop_skip }}"
          loop_allskip: "{{ r_loop_allskip }}"
          loop_empty: "{{ r_loop_empty }}"
          loop_fail: "{{ r_loop_fail }}"
          loop_idx: "{{ r_loop_idx }}"
          loop_ext: "{{ r_loop_ext }}"
          loop_ext2: "{{ r_loop_ext2 }}"
          loop_plain: "{{ r_loop_plain }}"
          loop_pause: "{{ r_loop_pause }}"
          until: "{{ r_until }}"
          inc: "{{ r_inc }}"
          inc_skip: "{{ r_inc_skip }}"
          inc_loop: "{{ r_inc_loop }}"
          incrole: "{{ r_incrole }}"
          incrole_loop: "{{ r_incrole_loop }}"
          once: "{{ r_once }}"
          nolog: "{{ r_nolog }}"
`;

/**
 * The `when` of a looped include_tasks/include_role, as Ansible: every item's `when` is evaluated
 * (and its file named) before any included task runs, so what the included tasks set does not
 * change a later item's `when`; the include's `vars`, the loop and index variables,
 * `ansible_loop_var`/`ansible_index_var` and (extended) `ansible_loop` are in scope; the included
 * tasks see the loop and index variables and `ansible_loop`, not the `ansible_*_var` names.
 */
const INCLUDE_WHEN = `- hosts: h1,h2
  gather_facts: false
  tasks:
    - name: include when flag
      include_tasks: sf.yml
      loop: [1, 2, 3]
      when: flag is not defined
    - name: include when registered
      include_tasks: sf.yml
      loop: [4, 5]
      when: rin is not defined or rin.stdout == '3'
    - name: include_role when
      include_role: {name: setter}
      loop: [1, 2]
      when: rflag is not defined
    - name: include scope
      include_tasks: show.yml
      loop: [a, b, c]
      loop_control: {index_var: i, extended: true}
      vars: {v: V}
      when: v == 'V' and i != 1 and ansible_loop.index != 3 and ansible_loop_var == 'item' and ansible_index_var == 'i'
    - name: include scope plain
      include_tasks: show.yml
      loop: [a]
    - name: include per host
      include_tasks: show.yml
      loop: [a, b]
      # (not \`or item == 'b'\`: Ansible then runs h1's b before its a when h2's result comes in first)
      when: inventory_hostname == 'h1' or item == 'a'
    - name: include_role loop_var
      include_role: {name: setter}
      loop: [7, 8]
      loop_control: {loop_var: item}
      when: item == 8 and rflag == 1
    - name: undefined in a later item's when
      include_tasks: show.yml
      loop: [a, b]
      when: item == 'a' or nope
      ignore_errors: true
    - name: collected
      debug: {msg: "{{ seen }}"}
`;
const INCLUDE_WHEN_FILES: Record<string, string> = {
  'sf.yml': "- name: set flag\n  set_fact: {flag: \"{{ item }}\", seen: \"{{ (seen | default([])) + ['sf ' ~ item] }}\"}\n- name: register in include\n  command: \"echo {{ item }}\"\n  register: rin\n",
  'show.yml': "- name: show\n  set_fact: {seen: \"{{ (seen | default([])) + [item ~ ' ' ~ (ansible_loop_var | default('-')) ~ ' ' ~ (ansible_loop.index | default('-')) ~ ' ' ~ (i | default('-')) ~ ' ' ~ (ansible_index_var | default('-')) ~ ' ' ~ (v | default('-'))] }}\"}\n",
  'roles/setter/tasks/main.yml': "- name: role sets\n  set_fact: {rflag: \"{{ item }}\", seen: \"{{ (seen | default([])) + ['role ' ~ item] }}\"}\n",
  'inc-reg.yml': "- name: in include\n  debug: {msg: \"n{{ (r_inc_loop | default({})).results | default([]) | length }}\"}\n",
  'roles/regrole/tasks/main.yml': "- name: in regrole\n  debug: {msg: regrole}\n",
};

const PLAYBOOKS: Record<string, string> = { registered: REGISTERED, 'include when': INCLUDE_WHEN, templated: TEMPLATED, loops: LOOPS, 'include loop': INCLUDE_LOOP, others: OTHERS, async: ASYNC, timeout: TIMEOUT, debug: DEBUG, unsafe: UNSAFE, rescue: RESCUE };
/** playbooks whose recap is not compared (none now) */
const NO_RECAP = new Set<string>([]);

/** One task's result on one host, as both tools report it. */
interface Seen {
  status: string;
  stdout?: string;
  msg?: unknown;
  attempts?: number;
  censored?: boolean;
  items?: unknown[];
}

function pick(r: Record<string, any>, status: string): Seen {
  const s: Seen = { status };
  // An async job past its time has two outcomes in Ansible, by timing: the poll's "did not complete"
  // (no stdout), or, when async_wrapper's own limit wrote first, its "Timeout exceeded" job result
  // (child_pid, and the empty stdout async_status starts every result with): not compared.
  if (typeof r.stdout === 'string' && status !== 'skipped' && !(r.stdout === '' && 'child_pid' in r)) s.stdout = r.stdout;
  if (typeof r.msg === 'string' && (status === 'ok' || status === 'changed') && typeof r.stdout !== 'string') s.msg = r.msg;
  // debug's msg of any type; a timeout's words
  else if (r.msg !== undefined && status === 'ok' && r.stdout === undefined) s.msg = r.msg;
  else if (typeof r.msg === 'string' && /expected time frame/.test(r.msg)) s.msg = r.msg;
  // debug var=: the value under the variable's name
  for (const k of ['d', 'l', 'n', 'f', 'b', 's', 'd.a', 'nope', 'd.nope', 'pv']) if (k in r) (s as unknown as Record<string, unknown>)[k] = r[k];
  // how many checks a background job took depends on timing: not compared
  if (r.attempts !== undefined && r.finished === undefined) s.attempts = r.attempts;
  if (r.finished !== undefined && status !== 'ignored' && status !== 'failed') Object.assign(s, { finished: r.finished, started: r.started });
  if (r.censored !== undefined) s.censored = true;
  // each item and its output (debug prints a non-string msg its own way: compared through the item)
  if (Array.isArray(r.results)) s.items = r.results.map((x: Record<string, any>) => (x.stdout !== undefined ? [x.item, x.stdout] : x.item));
  return s;
}

function fromAnsible(r: AnsibleRun): Record<string, Seen> {
  const out: Record<string, Seen> = {};
  for (const p of r.json?.plays ?? []) {
    for (const t of p.tasks) {
      for (const [h, res] of Object.entries(t.hosts)) out[`${t.task.name.replace(/^\S+ : /, '')} @ ${h}`] = pick(res, res._status);
    }
  }
  return out;
}

function fromEvents(events: RunEvent[]): Record<string, Seen> {
  const out: Record<string, Seen> = {};
  for (const e of events) {
    if (e.type !== 'host_result' || 'item' in e) continue; // per-item results: compared through the loop's results
    const status = e.status === 'failed' && e.ignored ? 'ignored' : e.status;
    out[`${e.task.replace(/^\S+ : /, '')} @ ${e.host}`] = pick(e.result as Record<string, any>, status);
  }
  return out;
}

type Counts = Record<string, Record<string, number>>;

function countsOfAnsible(r: AnsibleRun): Counts {
  const out: Counts = {};
  for (const [h, s] of Object.entries(r.json?.stats ?? {})) {
    out[h] = { ok: s.ok!, changed: s.changed!, failed: s.failures!, unreachable: s.unreachable!, skipped: s.skipped!, rescued: s.rescued!, ignored: s.ignored! };
  }
  return out;
}

function countsOfWheelwright(r: RunSummary): Counts {
  const out: Counts = {};
  for (const [h, s] of Object.entries(r.stats)) {
    out[h] = { ok: s.ok, changed: s.changed, failed: s.failed, unreachable: s.unreachable, skipped: s.skipped, rescued: s.rescued, ignored: s.ignored };
  }
  return out;
}

async function wheelwright(dir: string, file: string, extraVars: Record<string, unknown>): Promise<{ summary: RunSummary; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const summary = await runPlaybook(
    {
      playbook: await loadPlaybook(join(dir, file)),
      inventory: await loadInventory([join(dir, 'hosts')], { playbookDir: dir }),
      extraVars, forks: 5, verbosity: 0, check: false, diff: false, tags: [], skipTags: [], hostKeyChecking: 'strict', connectTimeoutMs: 10_000, retryFile: false,
    },
    (e) => events.push(e),
  );
  return { summary, events };
}

describe('task keywords: same results as ansible-playbook', function () {
  this.timeout(300_000); // the machine may be loaded; the run itself takes seconds
  const dir = tempDir('ww-taskkw-');
  const names = Object.keys(PLAYBOOKS);
  const results = new Map<string, { ansible: AnsibleRun; ww: { summary: RunSummary; events: RunEvent[] } }>();

  before(async () => {
    writeFileSync(join(dir, 'hosts'), INVENTORY);
    mkdirSync(join(dir, 'files'), { recursive: true });
    for (const f of ['a.txt', 'b.txt', 'c.cfg']) writeFileSync(join(dir, 'files', f), f);
    writeFileSync(join(dir, 'inc.yml'), '- name: included\n  debug: {msg: "{{ item.key }}={{ item.value }}"}\n');
    mkdirSync(join(dir, 'group_vars'), { recursive: true });
    writeFileSync(join(dir, 'group_vars', 'all.yml'), 'unsafe_gv: !unsafe "{{ gv never }}"\n');
    writeFileSync(join(dir, 'unsafe-vars.yml'), 'unsafe_vf: !unsafe "{% if %}{{ vf }}"\n');
    for (const [f, text] of Object.entries(INCLUDE_WHEN_FILES)) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    const file = (n: string) => `${n.replace(/ /g, '-')}.yml`;
    for (const n of names) writeFileSync(join(dir, file(n)), PLAYBOOKS[n]!);
    // both tools run at once: each has its own lock directory (throttle)
    // TMPDIR: a module its timeout kills leaves its AnsiballZ payload dir there (else in /tmp)
    const oracle = ansiblePlaybooks(names.map((n) => ({ id: n, argv: ['-i', 'hosts', file(n), '-e', `lockdir=${join(dir, 'lock-ansible')}`], cwd: dir })), { TMPDIR: dir });
    // wheelwright's runs side by side too (in this process), as Ansible's are: the playbooks share
    // only the lock directory's name, each using its own names under it (throttle the directory itself)
    const ours = await Promise.all(names.map((n) => wheelwright(dir, file(n), { lockdir: join(dir, 'lock-ww') })));
    const theirs = await oracle;
    names.forEach((n, i) => results.set(n, { ansible: theirs[n]!, ww: ours[i]! }));
  });

  after(() => {
    // the commands Ansible left running (it does not kill them) end now
    // (and the async 'past its time' loop, which Ansible's async_wrapper does not always kill)
    for (const tool of ['ansible', 'ww']) for (const end of ['release', 'never']) writeFileSync(join(dir, `lock-${tool}-${end}`), '');
  });

  it('timeout: no command outlives the task (wheelwright)', () => {
    // 8 timed-out commands on 2 hosts (one that was stopped before it began wrote no PID)
    const pids = readdirSync(dir).filter((f) => f.startsWith('lock-ww-pid-'));
    expect(pids.length).to.be.within(1, 16);
    const living = pids.filter((f) => alive(Number(readFileSync(join(dir, f), 'utf8').trim())));
    expect(living, 'timed-out commands still running').to.deep.equal([]);
  });

  for (const name of names) {
    it(name, () => {
      const { ansible, ww } = results.get(name)!;
      expect(ansible.json, `ansible-playbook printed no results:\n${ansible.stdout}`).to.not.equal(undefined);
      const ours = fromEvents(ww.events);
      const theirs = fromAnsible(ansible);
      // the include_tasks task's own result (Ansible reports one; wheelwright reports the included tasks only)
      // (the registered values, with their times, are compared below)
      const differ = Object.keys({ ...ours, ...theirs }).filter((k) => !k.startsWith('include') && !k.startsWith('all registered ') && JSON.stringify(ours[k]) !== JSON.stringify(theirs[k]));
      expect(Object.fromEntries(differ.map((k) => [k, ours[k]])), 'wheelwright (actual) vs ansible-playbook (expected), the results that differ').to.deep.equal(Object.fromEntries(differ.map((k) => [k, theirs[k]])));
      if (NO_RECAP.has(name)) expect(ww.summary.exitCode).to.equal(ansible.code);
      else expect({ code: ww.summary.exitCode, recap: countsOfWheelwright(ww.summary) }).to.deep.equal({ code: ansible.code, recap: countsOfAnsible(ansible) });
    });
  }

  it('registered results: the same keys and values as ansible-playbook registers', () => {
    const { ansible, ww } = results.get('registered')!;
    for (const h of ['h1', 'h2']) {
      const theirs = normRegistered(ansibleResults(ansible.json)[h]?.['all registered']?.msg);
      const e = ww.events.find((x) => x.type === 'host_result' && x.task === 'all registered' && x.host === h);
      const ours = normRegistered(e?.type === 'host_result' ? (e.result as Record<string, unknown>).msg : undefined);
      expect(theirs, `${h}: ansible-playbook registered nothing`).to.be.an('object');
      for (const k of Object.keys(theirs as object)) expect((ours as Record<string, unknown>)[k], `${h}: ${k}`).to.deep.equal((theirs as Record<string, unknown>)[k]);
      expect(Object.keys(ours as object).sort()).to.deep.equal(Object.keys(theirs as object).sort());
    }
  });

  it('include when: each host runs the same tasks in the same order as with ansible-playbook', () => {
    const { ansible, ww } = results.get('include when')!;
    for (const h of ['h1', 'h2']) {
      const theirs = (ansible.json?.order ?? []).filter((o) => o.host === h && !/^include/.test(o.task)).map((o) => `${o.task.replace(/^\S+ : /, '')}: ${o.status}`);
      const ours = ww.events.filter((e) => e.type === 'host_result' && !('item' in e) && e.host === h && !/^include/.test(e.task)).map((e) => (e.type === 'host_result' ? `${e.task.replace(/^\S+ : /, '')}: ${e.status === 'failed' && e.ignored ? 'ignored' : e.status}` : ''));
      expect(ours, h).to.deep.equal(theirs);
    }
  });
});

/** Registered values without what differs from run to run (times, job ids) or in wording only (errors). */
function normRegistered(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normRegistered(x));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    // Ansible's loop items keep the module's `invocation` (its arguments with the Python module's defaults)
    if (['start', 'end', 'delta', 'invocation', 'results_file', 'ansible_job_id'].includes(k)) continue;
    out[k] = (k === 'changed_when_result' || (key === 'undef' && k === 'msg')) && typeof x === 'string' ? '<error text>' : normRegistered(x, k);
  }
  return out;
}

/** debug's result blocks (`ok: [h] => {` ... `}`) as printed. */
function debugBlocks(text: string): string[] {
  const out: string[] = [];
  let cur: string[] | undefined;
  for (const l of text.split('\n')) {
    if (!cur && /^ok: \[[^\]]+\]( => \(item=[^)]*\))? => \{$/.test(l)) cur = [l];
    else if (cur) {
      cur.push(l);
      if (l === '}') {
        out.push(cur.join('\n'));
        cur = undefined;
      }
    }
  }
  return out;
}

describe('debug: printed as ansible-playbook prints it (default callback, with and without -v)', function () {
  this.timeout(300_000);
  const dir = tempDir('ww-debugout-');
  const levels = [0, 1];
  const printed = new Map<number, { ansible: string; ww: string }>();

  before(async () => {
    writeFileSync(join(dir, 'hosts'), INVENTORY);
    writeFileSync(join(dir, 'debug.yml'), DEBUG);
    const oracle = ansiblePlaybooks(levels.map((v) => ({ id: String(v), argv: ['-i', 'hosts', 'debug.yml', ...(v ? ['-v'] : [])], cwd: dir })), { ANSIBLE_STDOUT_CALLBACK: 'default' });
    const ours: string[] = [];
    for (const v of levels) {
      let text = '';
      const sink = terminalSink({ verbosity: v, color: false, write: (t) => (text += t) });
      await runPlaybook(
        {
          playbook: await loadPlaybook(join(dir, 'debug.yml')),
          inventory: await loadInventory([join(dir, 'hosts')], { playbookDir: dir }),
          extraVars: {}, forks: 5, verbosity: v, check: false, diff: false, tags: [], skipTags: [], hostKeyChecking: 'strict', connectTimeoutMs: 10_000, retryFile: false,
        },
        sink,
      );
      ours.push(text);
    }
    const theirs = await oracle;
    levels.forEach((v, i) => printed.set(v, { ansible: theirs[String(v)]!.stdout, ww: ours[i]! }));
  });

  for (const v of levels) {
    it(v ? '-v' : 'without -v', () => {
      const { ansible, ww } = printed.get(v)!;
      const theirs = debugBlocks(ansible);
      expect(theirs.length, ansible).to.equal(26);
      expect(debugBlocks(ww)).to.deep.equal(theirs);
    });
  }
});

/**
 * include_tasks / include_role and tags, as Ansible: an include's own keywords (tags,
 * ignore_errors) select or govern the include only, its tasks inherit them only through `apply`;
 * import_tasks/import_role hand theirs down; enclosing blocks' tags reach included tasks;
 * `always` and `never`; an enclosing block's `when` checked again for each included task.
 * Compared as the sequence of results under several --tags/--skip-tags.
 */
const INCLUDE_TAGS = `- hosts: h1
  gather_facts: false
  tasks:
    - name: include tagged x
      include_tasks: inc.yml
      tags: [x]
      ignore_errors: true
    - name: include tagged y
      include_tasks: inc.yml
      tags: [y]
    - name: include untagged
      include_tasks: inc.yml
    - name: include apply x
      include_tasks:
        file: inc.yml
        apply: {tags: [x], ignore_errors: true}
      tags: [x]
    - name: import tagged y
      import_tasks: inc.yml
      tags: [y]
    - name: include always
      include_tasks: inc.yml
      tags: [always]
    - name: include_role x
      include_role: {name: r}
      tags: [x]
    - name: include_role apply x
      include_role: {name: r, apply: {tags: [x]}}
      tags: [x]
    - name: import_role y
      import_role: {name: r}
      tags: [y]
    - name: end
      debug: {msg: end}
- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - name: include in tagged block
          include_tasks: inc.yml
        - name: include_role in tagged block
          include_role: {name: r}
      tags: [blk]
    - name: include apply become
      include_tasks:
        file: who.yml
        apply: {become: true, become_user: nobody}
    - name: include args apply
      include_tasks: who.yml
      args:
        apply: {become: true, become_user: nobody, tags: [blk]}
      tags: [blk]
    - name: include vars
      include_tasks: v.yml
      vars: {vv: from include}
    - name: include_role vars
      include_role: {name: r}
      vars: {vv: x}
    - name: include ignore_errors
      include_tasks: fail.yml
      ignore_errors: true
- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - name: include in a conditional block
          include_tasks: sf.yml
      when: flag is not defined
    - block:
        - name: import in a conditional block
          import_tasks: sf.yml
      when: flag2 is not defined
`;
const INCLUDE_FILES: Record<string, string> = {"sf.yml": "- name: set the flag\n  set_fact: {flag: true}\n- name: after the flag\n  debug: {msg: after}\n", "inc.yml": "- name: inc untagged\n  debug: {msg: inc untagged}\n- name: inc tagged x\n  debug: {msg: inc x}\n  tags: [x]\n- name: inc tagged always\n  debug: {msg: inc always}\n  tags: [always]\n- name: inc tagged never\n  debug: {msg: inc never}\n  tags: [never, n]\n", "who.yml": "- name: whoami\n  command: whoami\n", "v.yml": "- name: show vv\n  debug: {msg: \"{{ vv }}\"}\n", "fail.yml": "- name: inc fails\n  command: \"false\"\n  tags: [x, y]\n", "roles/r/tasks/main.yml": "- name: role untagged\n  debug: {msg: role untagged}\n- name: role tagged x\n  debug: {msg: role x}\n  tags: [x]\n"};
const TAG_RUNS: Record<string, string[]> = {
  none: [], 'tags x': ['--tags', 'x'], 'tags y': ['--tags', 'y'], 'skip x': ['--skip-tags', 'x'], 'tags n': ['--tags', 'n'], 'tags blk,always': ['--tags', 'blk,always'],
};

describe('include tags and keywords: same tasks run as with ansible-playbook', function () {
  this.timeout(300_000);
  const dir = tempDir('ww-inctags-');
  const seen = new Map<string, { ansible: AnsibleRun; ww: string[] }>();
  const split = (a: string[]) => ({ tags: a[0] === '--tags' ? a[1]!.split(',') : [], skipTags: a[0] === '--skip-tags' ? a[1]!.split(',') : [] });

  before(async () => {
    writeFileSync(join(dir, 'hosts'), 'h1 ansible_connection=local\n');
    writeFileSync(join(dir, 'pb.yml'), INCLUDE_TAGS);
    for (const [f, text] of Object.entries(INCLUDE_FILES)) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    const runs = Object.entries(TAG_RUNS);
    const oracle = ansiblePlaybooks(runs.map(([id, a]) => ({ id, argv: ['-i', 'hosts', 'pb.yml', ...a], cwd: dir })));
    const ours = new Map<string, string[]>();
    for (const [id, a] of runs) {
      const events: RunEvent[] = [];
      await runPlaybook(
        {
          playbook: await loadPlaybook(join(dir, 'pb.yml')),
          inventory: await loadInventory([join(dir, 'hosts')], { playbookDir: dir }),
          extraVars: {}, forks: 5, verbosity: 0, check: false, diff: false, ...split(a), hostKeyChecking: 'strict', connectTimeoutMs: 10_000, retryFile: false,
        },
        (e) => events.push(e),
      );
      ours.set(id, events.filter((e) => e.type === 'host_result' && !('item' in e)).map((e) => (e.type === 'host_result' ? `${e.task.replace(/^\S+ : /, '')}: ${e.status === 'failed' && e.ignored ? 'ignored' : e.status}` : '')));
    }
    const theirs = await oracle;
    for (const [id] of runs) seen.set(id, { ansible: theirs[id]!, ww: ours.get(id)! });
  });

  for (const id of Object.keys(TAG_RUNS)) {
    it(id, () => {
      const { ansible, ww } = seen.get(id)!;
      expect(ansible.json, ansible.stdout).to.not.equal(undefined);
      const theirs = (ansible.json!.order ?? []).filter((o) => !/^include/.test(o.task)).map((o) => `${o.task.replace(/^\S+ : /, '')}: ${o.status}`);
      expect(ww).to.deep.equal(theirs);
    });
  }
});
