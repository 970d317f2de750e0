/**
 * JSON Schemas for playbooks, task files and YAML inventories, generated from the declarations the
 * loader itself uses: the KEYWORDS table (src/playbook/keywords.ts: where wheelwright takes each
 * keyword, its type, whether Ansible templates it, its doc) and every registered module's argument
 * spec (src/modules). Nothing here lists a keyword or an argument by hand; a new keyword
 * or module argument shows up in the schema with the next build.
 * Editors use them through the YAML language server (`# yaml-language-server: $schema=…`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as K from '../playbook/keywords.js';
import '../modules/index.js';
import { allModules } from '../modules/registry.js';
import type { ArgSpecEntry, ArgType, ModuleDef } from '../modules/types.js';

type Schema = Record<string, unknown>;

const SCHEMA_URI = 'http://json-schema.org/draft-07/schema#';
/** A value written as a template is checked when it is rendered, not here. */
const TEMPLATED: Schema = { type: 'string', pattern: '\\{\\{|\\{%' };

function typeSchema(t: ArgType | undefined, elements?: ArgType): Schema {
  switch (t) {
    case 'str':
    case 'path':
      return { type: ['string', 'number', 'boolean'] };
    case 'int':
      return { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\s*-?\\d+\\s*$' }, TEMPLATED] };
    case 'bool':
      // Ansible's boolean strings (yes/no/on/off/true/false/1/0, any case)
      return { anyOf: [{ type: 'boolean' }, { type: 'string', pattern: '^([Yy]([Ee][Ss])?|[Nn][Oo]?|[Oo][Nn]|[Oo][Ff][Ff]|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0)$' }, { type: 'integer', enum: [0, 1] }, TEMPLATED] };
    case 'list':
      return { anyOf: [{ type: 'array', ...(elements ? { items: typeSchema(elements) } : {}) }, { type: 'string' }] };
    case 'dict':
      return { anyOf: [{ type: 'object' }, TEMPLATED] };
    case 'mode':
      return { type: ['string', 'integer'] };
    default:
      return {};
  }
}

function argSchema(a: ArgSpecEntry): Schema {
  const s: Schema = a.choices ? { anyOf: [{ enum: [...a.choices] }, TEMPLATED] } : typeSchema(a.type, a.elements);
  const notes = [a.description, a.required ? 'required' : '', a.default !== undefined ? `default: ${JSON.stringify(a.default)}` : ''].filter(Boolean);
  if (notes.length) s.description = notes.join('; ');
  return s;
}

/** The value under a module's key: its arguments, or a `k=v …` (free-form) string. */
function moduleSchema(def: ModuleDef<any>): Schema {
  const properties: Record<string, Schema> = {};
  for (const [name, a] of Object.entries(def.argSpec)) {
    properties[name] = argSchema(a);
    for (const alias of a.aliases ?? []) properties[alias] = { ...argSchema(a), description: `alias of ${name}` };
  }
  if (def.freeForm) properties._raw_params = { type: 'string', description: 'the free-form command' };
  const args: Schema = { type: 'object', properties, additionalProperties: def.anyArgs === true };
  return { description: def.description ?? def.name, anyOf: [args, { type: 'string' }, ...(def.freeForm ? [] : [{ type: 'null' }])] };
}

/** Every name a module answers to: short, aliases, ansible.builtin./ansible.legacy. and its collection. */
function moduleNamesOf(def: ModuleDef<any>): string[] {
  const names = [def.name, ...(def.aliases ?? [])];
  const out = new Set(names);
  if (def.collection !== 'wheelwright') {
    for (const n of names) {
      out.add(`ansible.builtin.${n}`);
      out.add(`ansible.legacy.${n}`);
      if (def.collection) out.add(`${def.collection}.${n}`);
    }
  }
  return [...out];
}

const TASK_LIST = (ref: string): Schema => ({ anyOf: [{ type: 'array', items: { $ref: ref } }, { type: 'null' }] });

/** Ansible's boolean spellings (yes/no/on/off/true/false/1/0, any case). */
const BOOL: Schema = typeSchema('bool');

/** The schema of a keyword's value, from its declared type (and whether Ansible templates it). */
export function keywordSchema(k: K.KeywordDecl): Schema {
  const templ = (s: Schema): Schema => (k.templatable ? { anyOf: [s, TEMPLATED] } : s);
  let s: Schema;
  switch (k.type) {
    case 'tasks':
      s = TASK_LIST('#/definitions/task');
      break;
    case 'string':
      s = { type: ['string', 'number', 'boolean'] };
      break;
    case 'bool':
      s = BOOL;
      break;
    case 'int':
      s = typeSchema('int');
      break;
    case 'percent':
      s = templ({ anyOf: [{ type: 'number' }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?%?\\s*$' }] });
      break;
    case 'pattern':
      s = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
      break;
    case 'condition':
      s = { anyOf: [{ type: ['string', 'boolean', 'number'] }, { type: 'array', items: { type: ['string', 'boolean', 'number'] } }] };
      break;
    case 'list':
      // a single value stands for a one-item list (tags: web, notify: restart), or a template
      s = k.name === 'roles' ? { type: 'array', items: { anyOf: [{ type: 'string' }, { $ref: '#/definitions/role' }] } } : { anyOf: [{ type: 'array' }, { type: ['string', 'number'] }, { type: 'null' }] };
      break;
    case 'dict':
      s = k.name === 'vars' ? { anyOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }, { type: 'null' }] } : templ({ anyOf: [{ type: 'object' }, { type: 'null' }] });
      break;
    default:
      s = {};
  }
  return { ...s, description: k.doc };
}

/** The keywords KEYWORDS declares wheelwright supports at any of `places`, with their schemas. */
function keywordsAt(places: readonly K.Place[]): Record<string, Schema> {
  return Object.fromEntries(K.KEYWORDS.filter((k) => k.wheelwright.some((p) => places.includes(p))).map((k) => [k.name, keywordSchema(k)]));
}

/** Where a task-list entry's keywords come from: tasks, handlers, blocks and include/import entries. */
export const TASK_PLACES: readonly K.Place[] = ['task', 'handler', 'block', 'include', 'import'];

/**
 * Actions the loader takes as keywords (import_tasks, include_tasks: modules in Ansible): the
 * names its include/import keyword lists add to what KEYWORDS declares.
 */
export function actionKeywords(): string[] {
  return [...new Set([...K.INCLUDE_KEYWORDS, ...K.IMPORT_KEYWORDS, 'import_role', 'include_role', 'include'])].filter((n) => !K.keyword(n));
}

function definitions(): Record<string, Schema> {
  const taskProps: Record<string, Schema> = keywordsAt(TASK_PLACES);
  // actions the loader treats as keywords (modules in Ansible), under their FQCNs too
  for (const k of actionKeywords()) {
    taskProps[k] = { anyOf: [{ type: 'string' }, { type: 'object' }], description: k.endsWith('_role') ? "a role: `name` and its options (tasks_from, vars_from, ...)" : 'a task file (or its arguments)' };
    taskProps[`ansible.builtin.${k}`] = taskProps[k]!;
  }
  const modules: Record<string, Schema> = {};
  for (const def of allModules()) {
    modules[`module:${def.name}`] = moduleSchema(def);
    for (const n of moduleNamesOf(def)) taskProps[n] ??= { $ref: `#/definitions/module:${def.name}` };
  }
  const playbookEntry = Object.fromEntries(K.IMPORT_PLAYBOOK_KEYWORDS.map((n) => [n, K.keyword(n) ? keywordSchema(K.keyword(n)!) : { type: 'string' }]));
  return {
    ...modules,
    // with_<lookup>: loops over a lookup's result
    task: { type: 'object', properties: taskProps, additionalProperties: false, patternProperties: { '^with_': {} } },
    // other keys of a role entry are the role's parameters
    role: { type: 'object', properties: keywordsAt(['role']) },
    play: { type: 'object', properties: keywordsAt(['play']), required: ['hosts'], additionalProperties: false },
    import_playbook: {
      type: 'object',
      properties: { ...playbookEntry, 'ansible.builtin.import_playbook': { type: 'string' } },
      additionalProperties: false,
    },
  };
}

export function playbookSchema(): Schema {
  return {
    $schema: SCHEMA_URI,
    $id: 'https://wheelwright.invalid/schema/playbook.schema.json',
    title: 'wheelwright playbook',
    description: 'A playbook: a list of plays (and import_playbook entries). Generated from wheelwright\'s keyword and module declarations.',
    type: 'array',
    items: { anyOf: [{ $ref: '#/definitions/play' }, { $ref: '#/definitions/import_playbook' }] },
    definitions: definitions(),
  };
}

export function taskFileSchema(): Schema {
  return {
    $schema: SCHEMA_URI,
    $id: 'https://wheelwright.invalid/schema/tasks.schema.json',
    title: 'wheelwright task file',
    description: 'A task file (roles/*/tasks/*.yml, handlers, import_tasks/include_tasks files): a list of tasks.',
    anyOf: [{ type: 'array', items: { $ref: '#/definitions/task' } }, { type: 'null' }],
    definitions: definitions(),
  };
}

export function inventorySchema(): Schema {
  const vars = { anyOf: [{ type: 'object' }, { type: 'null' }] };
  return {
    $schema: SCHEMA_URI,
    $id: 'https://wheelwright.invalid/schema/inventory.schema.json',
    title: 'wheelwright YAML inventory',
    description: 'An Ansible YAML inventory: groups (all, and any other) with hosts, vars and children.',
    type: 'object',
    additionalProperties: { $ref: '#/definitions/group' },
    definitions: {
      group: {
        anyOf: [
          {
            type: 'object',
            properties: {
              hosts: { anyOf: [{ type: 'object', additionalProperties: vars }, { type: 'null' }] },
              vars,
              children: { anyOf: [{ type: 'object', additionalProperties: { $ref: '#/definitions/group' } }, { type: 'null' }] },
            },
            additionalProperties: false,
          },
          { type: 'null' },
        ],
      },
    },
  };
}

export const SCHEMA_FILES = {
  'playbook.schema.json': playbookSchema,
  'tasks.schema.json': taskFileSchema,
  'inventory.schema.json': inventorySchema,
} as const;

/** Write the schemas into `dir` (the build writes them to schema/, which the package ships). */
export async function writeSchemas(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const [file, make] of Object.entries(SCHEMA_FILES)) {
    await writeFile(join(dir, file), JSON.stringify(make(), null, 1) + '\n');
    out.push(join(dir, file));
  }
  return out;
}
