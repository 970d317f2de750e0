/**
 * Play keywords written as templates (`serial: "{{ batch | default('100%') }}"`, `gather_facts:
 * "{{ osa_gather_facts | default(true) }}"`), rendered when the play starts with the variables
 * Ansible has then: the play's vars and vars_files, and extra vars (no host's variables).
 */
import { UserError } from '../errors.js';
import type { Play } from '../playbook/types.js';
import { serialEntryProblem } from '../playbook/serial.js';
import { renderValue } from '../template/render.js';
import { buildHostScope } from '../vars/precedence.js';

const TRUE = ['y', 'yes', 'on', '1', 'true', 't', '1.0'];
const FALSE = ['n', 'no', 'off', '0', 'false', 'f', '0.0', ''];

function bool(key: string, v: unknown, play: Play): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (TRUE.includes(s)) return true;
  if (FALSE.includes(s)) return false;
  throw new UserError(`'${key}' of play '${play.name}' must be a boolean, its template gave ${JSON.stringify(v)}`, play.pos);
}

/**
 * `vars_prompt` without asking (wheelwright never prompts): a value from -e, else the entry's
 * default (as a play var), else an error naming every missing one.
 */
export function promptedVars(play: Play, extraVars: Record<string, unknown>): Play {
  if (!play.varsPrompt?.length) return play;
  const vars = { ...play.vars };
  const missing: string[] = [];
  for (const p of play.varsPrompt) {
    if (Object.prototype.hasOwnProperty.call(extraVars, p.name)) continue;
    if (p.default !== undefined) vars[p.name] = p.default;
    else missing.push(p.name);
  }
  if (missing.length) {
    throw new UserError(`play '${play.name}' asks for ${missing.map((m) => `'${m}'`).join(', ')} (vars_prompt): wheelwright does not prompt; pass ${missing.map((m) => `-e ${m}=...`).join(' ')}`, play.pos);
  }
  return { ...play, vars };
}

export function resolvePlayKeywords(raw: Play, extraVars: Record<string, unknown>): Play {
  const play = promptedVars(raw, extraVars);
  const t = play.templated;
  if (!t || Object.keys(t).length === 0) return play;
  const scope = buildHostScope({ playVars: play.vars, varsFiles: play.varsFiles, extraVars });
  const where = { file: play.pos.file, line: play.pos.line, col: play.pos.col };
  const out: Play = { ...play };
  for (const [key, raw] of Object.entries(t)) {
    const v = renderValue(raw, scope, where);
    switch (key) {
      case 'serial': {
        const list = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' && /^\s*\d+\s*$/.test(x) ? Number(x) : typeof x === 'string' ? x.trim() : x));
        for (const x of list) {
          const problem = serialEntryProblem(x);
          if (problem) throw new UserError(`'serial' of play '${play.name}': ${problem}`, play.pos);
        }
        out.serial = list as Array<number | string>;
        break;
      }
      case 'max_fail_percentage': {
        const n = typeof v === 'string' ? Number(v.replace(/%$/, '')) : v;
        if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 100) throw new UserError(`'max_fail_percentage' of play '${play.name}' must be a number from 0 to 100, its template gave ${JSON.stringify(v)}`, play.pos);
        out.maxFailPercentage = n;
        break;
      }
      case 'any_errors_fatal':
        out.anyErrorsFatal = bool(key, v, play);
        break;
      case 'gather_facts':
        out.gatherFacts = bool(key, v, play);
        break;
      case 'become':
        out.become = bool(key, v, play);
        break;
      case 'strategy': {
        const s = String(v).replace(/^ansible\.builtin\./, '');
        if (s !== 'linear' && s !== 'free') throw new UserError(`strategy '${s}' of play '${play.name}' is not supported: use linear or free`, play.pos);
        out.strategy = s;
        break;
      }
    }
  }
  return out;
}
