/** `wheelwright doc MODULE...` (like ansible-doc), `doc -l` (list), `doc --markdown` (docs/modules.md). */
import { UserError, EXIT } from '../errors.js';
import { helpText, parseCommand, UsageError, type CommandDecl } from './options.js';
import { moduleDocText, modulesMarkdown } from '../modules/doc.js';
import { allModules, fqcnOf, getModule, unknownModuleMessage } from '../modules/registry.js';

export const DOC = {
  name: 'doc',
  usage: ['doc MODULE...', 'doc -l | --markdown'],
  about: "Shows a module's arguments (aliases, types, defaults, choices, constraints) and return values, as\nansible-doc does; the module by its short name or FQCN. Everything comes from the module's declaration.",
  options: {
    list: { type: 'boolean', short: 'l', help: 'list the modules with their FQCN and a line each' },
    markdown: { type: 'boolean', help: 'print docs/modules.md (generated from the declarations)' },
    json: { type: 'boolean', help: "print the module's declaration as JSON" },
  },
} as const satisfies CommandDecl;

export async function docCli(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  await import('../modules/index.js');
  const { values, positionals, help } = parseCommand(DOC, argv);
  if (help) {
    out(helpText(DOC));
    return EXIT.ok;
  }
  if (values.markdown) {
    out(modulesMarkdown());
    return EXIT.ok;
  }
  if (values.list) {
    const defs = allModules();
    const width = Math.max(...defs.map((d) => (fqcnOf(d) ?? d.name).length));
    out(defs.map((d) => `${(fqcnOf(d) ?? d.name).padEnd(width)}  ${d.description ?? ''}\n`).join(''));
    return EXIT.ok;
  }
  if (!positionals.length) throw new UsageError('doc needs a module name', DOC);
  const texts: string[] = [];
  for (const name of positionals) {
    const def = getModule(name);
    if (!def) throw new UserError(unknownModuleMessage(name));
    texts.push(values.json ? JSON.stringify({ name: def.name, fqcn: fqcnOf(def), description: def.description, aliases: def.aliases ?? [], options: def.argSpec, returns: def.returns ?? {} }, null, 2) : moduleDocText(def));
  }
  out(`${texts.join('\n')}\n`);
  return EXIT.ok;
}
