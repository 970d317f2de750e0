import type { ArgSpec } from '../types.js';

/**
 * Ansible's SELinux file arguments. Ansible ignores them on a host where SELinux is disabled; wheelwright
 * does the same, and fails the task on a host where it is enabled (it does not set contexts), checked by
 * invokeModule before the module runs.
 */
const SELINUX_NOTE = 'accepted where SELinux is disabled (ignored there, as Ansible does); the task fails on a host with SELinux enabled';
export const SELINUX_ARGS: ArgSpec = {
  seuser: { type: 'str', description: `SELinux user part of the context: ${SELINUX_NOTE}` },
  serole: { type: 'str', description: `SELinux role part of the context: ${SELINUX_NOTE}` },
  setype: { type: 'str', description: `SELinux type part of the context: ${SELINUX_NOTE}` },
  selevel: { type: 'str', description: `SELinux level part of the context: ${SELINUX_NOTE}` },
};

/** Ansible's file common arguments (add_file_common_args), as the Python prelude's file_attrs() applies them. */
export const FILE_COMMON_ARGS: ArgSpec = {
  ...SELINUX_ARGS,
  mode: { type: 'mode', description: "permissions: octal ('0644') or symbolic ('u+rw,g-w'); unchanged when omitted" },
  owner: { type: 'str', description: 'owner name or uid; unchanged when omitted' },
  group: { type: 'str', description: 'group name or gid; unchanged when omitted' },
  unsafe_writes: { type: 'bool', default: false, description: 'accepted for compatibility: wheelwright always writes atomically' },
  attributes: { type: 'str', aliases: ['attr'], description: "file attributes (chattr flags) the file must have: 'e', '+i', '-a' (lsattr/chattr, as Ansible)" },
};

/** The HTTP client arguments get_url and uri share (Ansible's url_argument_spec, minus the per-module aliases of the credentials). */
export const URL_COMMON_ARGS: ArgSpec = {
  force_basic_auth: { type: 'bool', default: false, description: 'send the credentials without waiting for a 401' },
  validate_certs: { type: 'bool', default: true, description: 'check the server certificate' },
  use_proxy: { type: 'bool', default: true, description: 'honour the proxy environment variables' },
  http_agent: { type: 'str', default: 'ansible-httpget', description: 'the User-Agent header' },
  client_cert: { type: 'path', description: 'client certificate (PEM)' },
  client_key: { type: 'path', description: 'client key (PEM)' },
  unredirected_headers: { type: 'list', elements: 'str', default: [], description: 'accepted; headers are sent on redirects too' },
  decompress: { type: 'bool', default: true, description: 'accepted; no Accept-Encoding is sent, so nothing arrives compressed' },
  use_netrc: { type: 'bool', default: true, description: 'accepted; ~/.netrc is not read' },
};
