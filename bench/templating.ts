/**
 * Templating bench: the variables of --hosts hosts (default 1,000) x 200 templated variables
 * (OSA-style group_vars: references, filters, subscripts, inline if, combine, map/extract,
 * statements) rendered by wheelwright's Jinja engine and by Ansible's Templar on the same data.
 * Both sides render every variable of every host (lazy variables referring to each other);
 * the outputs of the first host are compared, the timings exclude start-up (imports, parsing).
 *
 *   node --import tsx bench/templating.ts [--hosts 1000]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createVarScope, materialize } from '../src/template/lazy.js';

const VARS_PER_HOST = 200;

/** 200 templated group variables of 20 kinds; each refers to host variables or earlier ones. */
export function groupVars(): Record<string, unknown> {
  const kinds = [
    (i: number) => `{{ base_dir }}/svc-${i}`,
    (i: number) => `{{ inventory_hostname }}-{{ v${i - 1} }}`,
    (i: number) => `{{ mgmt_ip }}:{{ 8000 + ${i} }}`,
    (i: number) => `{{ undefined_${i} | default('dflt-${i}') }}`,
    (i: number) => `{{ ansible_facts['os_family'] | lower }}`,
    (i: number) => `{{ pkg_map[ansible_facts['os_family'] | lower] }}`,
    (i: number) => `{{ groups['repo_all'][0] }}`,
    (i: number) => `{{ hostvars[groups['repo_all'][0]]['mgmt_ip'] }}`,
    (i: number) => `{{ 'https' if use_tls | bool else 'http' }}://{{ vip }}:${i}`,
    (i: number) => `{{ services | length > ${i % 7} }}`,
    (i: number) => `{{ services | map('upper') | join(',') }}`,
    (i: number) => `{{ defaults_${i % 3} | combine(overrides, recursive=True) }}`,
    (i: number) => `{{ groups['repo_all'] | map('extract', hostvars, 'mgmt_ip') | list }}`,
    (i: number) => `{{ (services + ['x${i}']) | unique | sort }}`,
    (i: number) => `{{ debug | ternary('DEBUG', 'INFO') }}`,
    (i: number) => `{{ release ~ '-' ~ ${i} }}`,
    (i: number) => `{% for s in services %}{{ s }}={{ loop.index }}{% if not loop.last %},{% endif %}{% endfor %}`,
    (i: number) => `{{ cpu_count | int * 2 + ${i} }}`,
    (i: number) => `{{ path | basename }}/{{ path | dirname }}`,
    (i: number) => `{{ v${i - 3} if v${i - 3} is defined else 'none' }}`,
  ];
  const out: Record<string, unknown> = {
    base_dir: '/openstack/venvs',
    vip: '172.29.236.9',
    use_tls: 'yes',
    debug: false,
    release: '28.1.0',
    services: ['nova-api', 'nova-conductor', 'nova-scheduler'],
    pkg_map: { debian: 'python3-venv', redhat: 'python3-virtualenv' },
    defaults_0: { a: { x: 1 }, b: 2 },
    defaults_1: { a: { y: 1 }, c: 3 },
    defaults_2: { d: 4 },
    overrides: { a: { z: 9 }, e: 5 },
    path: '/etc/nova/nova.conf',
  };
  for (let i = 0; i < VARS_PER_HOST; i++) out[`v${i}`] = kinds[i % kinds.length](i < 3 ? i + 3 : i);
  return out;
}

export function hostVars(n: number): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_x, i) => ({
    inventory_hostname: `host${i}`,
    mgmt_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    cpu_count: String((i % 8) + 1),
    ansible_facts: { os_family: i % 2 ? 'Debian' : 'RedHat' },
  }));
}

const PY = String.raw`
import json, sys, time, warnings
warnings.filterwarnings('ignore')
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
data = json.load(open(sys.argv[1]))
gv, hosts, names = data['group'], data['hosts'], data['names']
groups = {'all': [h['inventory_hostname'] for h in hosts], 'repo_all': [hosts[0]['inventory_hostname'], hosts[1]['inventory_hostname']]}
hostvars = {h['inventory_hostname']: h for h in hosts}
loader = DataLoader()
first = None
t0 = time.perf_counter()
for h in hosts:
    variables = dict(gv)
    variables.update(h)
    variables['groups'] = groups
    variables['hostvars'] = hostvars
    templar = Templar(loader=loader, variables=variables)
    out = {n: templar.template(variables[n]) for n in names}
    if first is None:
        first = out
t1 = time.perf_counter()
print(json.dumps({'seconds': t1 - t0, 'first': first}, default=str))
`;

function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

export function runTemplatingBench(hostCount: number): { wheelwright: number; ansible: number; same: boolean; vars: number } {
  const group = groupVars();
  const hosts = hostVars(hostCount);
  const names = Object.keys(group).filter((k) => /^v\d+$/.test(k));
  const groups = { all: hosts.map((h) => h.inventory_hostname as string), repo_all: [hosts[0].inventory_hostname, hosts[1].inventory_hostname] };
  const hostvarsMap: Record<string, unknown> = {};
  for (const h of hosts) hostvarsMap[h.inventory_hostname as string] = h;

  const t0 = process.hrtime.bigint();
  let first: Record<string, unknown> | undefined;
  for (const h of hosts) {
    const scope = createVarScope([group, h, { groups, hostvars: hostvarsMap }]);
    const out: Record<string, unknown> = {};
    for (const n of names) out[n] = materialize(scope[n]);
    first ??= out;
  }
  const ww = Number(process.hrtime.bigint() - t0) / 1e9;

  const dir = mkdtempSync(join(tmpdir(), 'ww-tbench-'));
  const file = join(dir, 'data.json');
  writeFileSync(file, JSON.stringify({ group, hosts, names }));
  let py: { seconds: number; first: Record<string, unknown> };
  try {
    py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Ansible 2.14 (no jinja2_native) returns numbers and booleans as text: compare text forms
  const norm = (o: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(plain(o) as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])));
  const same = norm(first!) === norm(py.first);
  if (!same) {
    for (const n of names) {
      const a = JSON.stringify(plain(first![n]));
      const b = JSON.stringify(py.first[n]);
      if (a !== b && typeof py.first[n] !== 'string') process.stderr.write(`differs: ${n}: wheelwright ${a} ansible ${b}\n`);
    }
  }
  return { wheelwright: ww, ansible: py.seconds, same, vars: hostCount * names.length };
}

export function templatingTable(r: ReturnType<typeof runTemplatingBench>, hosts: number): string {
  return [
    `templating: ${hosts} hosts x ${VARS_PER_HOST} templated variables (${r.vars} renders)`,
    `  wheelwright  ${r.wheelwright.toFixed(2)} s  (${((r.wheelwright / r.vars) * 1e6).toFixed(1)} us per variable)`,
    `  ansible      ${r.ansible.toFixed(2)} s  (${((r.ansible / r.vars) * 1e6).toFixed(1)} us per variable, Templar of ansible-core)`,
    `  ratio        ${(r.ansible / r.wheelwright).toFixed(1)}x; first host's values ${r.same ? 'identical' : 'DIFFER (see above)'}`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { hosts: { type: 'string', default: '1000' } } });
  const hosts = Number(values.hosts);
  process.stdout.write(templatingTable(runTemplatingBench(hosts), hosts) + '\n');
}
