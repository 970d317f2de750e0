/**
 * Issue 12 acceptance: the python_venv_build role reads group_vars written the way
 * OpenStack-Ansible writes them (Jinja: subscripts, facts-derived keys, inline if, version tests,
 * map/extract, combine, default) into its typed settings. The same group_vars file is rendered by
 * Ansible's Templar in the oracle corpus (test/fixtures/jinja/group_vars.yml).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { readSettings } from '../../src/venvbuild/settings.js';
import { createVarScope } from '../../src/template/lazy.js';

const defaults = parse(readFileSync(new URL('../../roles/python_venv_build/defaults/main.yml', import.meta.url), 'utf8'));
const osa = parse(readFileSync(new URL('../fixtures/jinja/group_vars.yml', import.meta.url), 'utf8'));

const PLAY_VARS = {
  venv_install_destination_path: "{{ nova_bin | dirname }}",
  venv_pip_packages: '{{ all_pip_packages }}',
  venv_build_global_constraints: '{{ venv_build_global_constraints_osa }}',
  venv_build_global_constraints_osa: [
    'setuptools<70',
    "{{ 'pip==23.3' if ansible_facts['python_version'] is version('3.12', '<') else 'pip==24.0' }}",
  ],
  venv_install_distro_package_list: "{{ [molecule_install_package[ansible_facts['os_family'] | lower]] }}",
  venv_build_distro_package_list: "{{ ['libffi-dev'] + (['libssl-dev'] if ansible_facts['os_family'] == 'Debian' else ['openssl-devel']) }}",
  venv_pip_build_args: "--find-links {{ openstack_repo_url }}/os-releases/{{ openstack_release }} {{ '--pre' if debug_flag | bool else '' }}",
  venv_wheel_build_enable: "{{ groups['repo_all'] | length > 0 }}",
  venv_rebuild: '{{ verbose_flag | bool and false }}',
  venv_facts_when_changed: [{ section: 'nova', option: 'venv_tag', value: '{{ nova_venv_tag }}' }],
  venv_pip_install_env: "{{ {'PIP_TIMEOUT': '30'} | combine({'HTTP_PROXY': proxy_url | default('')}) }}",
  venv_python_executable: "{{ 'python3' if ansible_facts['distribution_major_version'] | int >= 10 else 'python2' }}",
};

describe('python_venv_build: OSA-style Jinja group_vars', () => {
  it('reads facts-derived and computed values into typed settings', () => {
    const s = readSettings(createVarScope([defaults, osa, PLAY_VARS]));
    expect(s.path).to.equal('/openstack/venvs/nova-28.1.0');
    expect(s.pipPackages).to.deep.equal(['nova', 'osprofiler', 'PyMySQL', 'python-memcached']);
    expect(s.globalConstraints).to.deep.equal(['setuptools<70', 'pip==23.3']);
    expect(s.installDistroPackages).to.deep.equal(['python3-venv']);
    expect(s.buildDistroPackages).to.deep.equal(['libffi-dev', 'libssl-dev']);
    expect(s.pipBuildArgs).to.include.members(['--find-links', 'http://172.29.236.9:8181/os-releases/28.1.0']);
    expect(s.wheelBuildEnable).to.equal(true);
    expect(s.rebuild).to.equal(false);
    expect(s.factsWhenChanged).to.deep.equal([{ section: 'nova', option: 'venv_tag', value: '28.1.0' }]);
    expect(s.pipInstallEnv).to.deep.equal({ PIP_TIMEOUT: '30', HTTP_PROXY: '' });
    expect(s.python).to.equal('python3');
    expect(s.builderVenvPath).to.equal('/openstack/venvs/wheel-builder-python3');
  });

  it('an undefined variable in such a value names it', () => {
    const vars = { ...PLAY_VARS, venv_install_distro_package_list: "{{ [molecule_install_package[ansible_facts['os_family_typo'] | lower]] }}" };
    expect(() => readSettings(createVarScope([defaults, osa, vars]))).to.throw(/undefined variable 'ansible_facts\['os_family_typo'\]'/);
  });
});
