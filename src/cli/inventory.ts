/** `wheelwright inventory`: ansible-inventory's --list, --host and --graph, with --yaml, --vars and --export. */
import { stringify } from 'yaml';
import { EXIT, UserError } from '../errors.js';
import { groupCharsMode, loadInventory } from '../inventory/index.js';
import { ansibleJson, hostVarsShown, inventoryGraph, listInventoryJson, listInventoryYamlShape } from '../inventory/list-json.js';
import { loadAnsibleConfig } from '../config/index.js';
import { VAULT_OPTIONS, vaultSecretsFrom } from './vault.js';
import { helpText, parseCommand, UsageError, type CommandDecl } from './options.js';

export const INVENTORY = {
  name: 'inventory',
  usage: ['inventory -i INVENTORY (--list | --host HOST | --graph [GROUP]) [--yaml] [--vars] [--export]'],
  about: 'Shows the inventory as ansible-inventory does: --list as JSON (or YAML), --host one host\'s variables,\n--graph the group tree (from GROUP, default all).',
  options: {
    inventory: { type: 'string', short: 'i', multiple: true, arg: 'SRC', help: 'inventory file, directory or script' },
    list: { type: 'boolean', help: 'every group and host with their variables (the default)' },
    host: { type: 'string', arg: 'HOST', help: "one host's variables" },
    graph: { type: 'boolean', help: 'the groups as a tree, with their hosts (from the group given as argument, default all)' },
    yaml: { type: 'boolean', short: 'y', help: 'YAML instead of JSON (ignored for --graph)' },
    vars: { type: 'boolean', help: 'with --graph: the variables of each host and group' },
    export: { type: 'boolean', help: "with --list: each group's and host's own variables, not merged down the groups" },
    'playbook-dir': { type: 'string', arg: 'DIR', help: "also read this directory's group_vars/ and host_vars/" },
    ...VAULT_OPTIONS,
  },
} as const satisfies CommandDecl;

/** PyYAML's yaml.dump(default_flow_style=False) layout: keys sorted, lists not indented under their key. */
function ansibleYaml(v: unknown): string {
  return stringify(v, { sortMapEntries: true, indentSeq: false, singleQuote: true, lineWidth: 80, minContentWidth: 0, aliasDuplicateObjects: false });
}

export async function inventoryCli(
  argv: string[],
  out: (s: string) => void,
  askSecret: (prompt: string, option: string) => Promise<string>,
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  const { values, positionals, help } = parseCommand(INVENTORY, argv);
  if (help) {
    out(helpText(INVENTORY));
    return EXIT.ok;
  }
  const actions = [values.list, values.host !== undefined, values.graph].filter(Boolean).length;
  if (actions > 1) throw new UsageError('only one of --list, --host or --graph can be used at a time', INVENTORY);
  if (positionals.length > 1) throw new UsageError(`inventory takes at most one group (for --graph), got '${positionals.join(' ')}'`, INVENTORY);
  const cfg = loadAnsibleConfig();
  await vaultSecretsFrom(values, askSecret, cfg.settings.DEFAULT_VAULT_PASSWORD_FILE!.value as string | undefined);
  const configured = cfg.settings.DEFAULT_HOST_LIST!;
  const sources = values.inventory ?? (configured.origin === 'default' ? [] : (configured.value as string[]));
  const inv = await loadInventory(sources, { playbookDir: values['playbook-dir'], transformInvalidGroupChars: groupCharsMode(cfg.settings.TRANSFORM_INVALID_GROUP_CHARS!.value) });
  err(inventoryWarnings(inv.warnings));
  const dump = (v: unknown) => (values.yaml ? ansibleYaml(v) : ansibleJson(v) + '\n');
  const o = { export: values.export ?? false };
  if (values.host !== undefined) {
    const h = inv.hosts.get(values.host);
    if (!h) throw new UserError(`host '${values.host}' is not in the inventory (--host takes one host name)`);
    out(dump(hostVarsShown(inv, values.host, o)));
  } else if (values.graph) {
    const group = positionals[0] ?? 'all';
    if (!inv.groups.has(group)) throw new UserError(`'${group}' is not a group of the inventory (--graph takes a group name)`);
    const { str } = await import('../template/jinja/py.js');
    out(inventoryGraph(inv, group, { vars: values.vars ?? false, export: o.export, str }) + '\n');
  } else {
    out(dump(values.yaml ? listInventoryYamlShape(inv, o) : listInventoryJson(inv, o)));
  }
  return EXIT.ok;
}

/** Inventory warnings as Ansible prints them, on stderr before the output. */
export function inventoryWarnings(warnings: readonly string[] | undefined): string {
  return (warnings ?? []).map((w) => `[WARNING]: ${w}\n`).join('');
}
