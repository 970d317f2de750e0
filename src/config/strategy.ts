import { UserError } from '../errors.js';

/** The strategy for plays that set none: ANSIBLE_STRATEGY (Ansible's DEFAULT_STRATEGY), else linear. */
export function configuredStrategy(value = process.env.ANSIBLE_STRATEGY): 'linear' | 'free' | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim().replace(/^ansible\.builtin\./, '');
  if (v === 'linear' || v === 'free') return v;
  throw new UserError(`strategy '${value}' (ANSIBLE_STRATEGY) is not supported by wheelwright: use linear or free`);
}
