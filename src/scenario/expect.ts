/**
 * The scenario's own pass/fail clauses (`expect`), checked by `smacksim check` after every seed:
 * bounds on the numbers a run reports, e.g.
 *
 *   "expect": { "lost": 0, "duplicated": { "max": 3 }, "bounced": { "min": 1 }, "hibernation.expired": { "max": 0 } }
 *
 * A number asks for exactly that value; `{min, max}` (either or both) for a range, bounds included.
 * Keys are the names of the report's numbers (`smacksim run --json`): the message fates by their own
 * names, the rest by their dotted path.
 */
import { ScenarioError } from './errors.js';
import { ObjectReader } from './reader.js';

/** Every key an `expect` clause may name, in the order the report shows them. */
export const expectKeys = [
  'sent',
  'delivered',
  'duplicated',
  'offline',
  'bounced',
  'lost',
  'falseBounces',
  'resends',
  'hibernation.started',
  'hibernation.resumed',
  'hibernation.expired',
  'hibernation.evicted',
  'hibernation.resumedLive',
  'acks.requested',
  'acks.received',
  'acks.delayed',
  'queue.peak',
  'queue.peakBytes',
  'scriptTimeouts',
  'virtualTimeMs',
] as const;

export type ExpectKey = (typeof expectKeys)[number];

/** One clause: the value of `key` must lie in [min, max] (an exact number gives min = max). */
export interface ExpectClause {
  key: ExpectKey;
  min: number | undefined;
  max: number | undefined;
}

export function readExpect(source: string, raw: unknown): ExpectClause[] {
  if (raw === undefined) return [];
  const reader = ObjectReader.of(source, 'expect', raw);
  const clauses: ExpectClause[] = [];
  for (const key of Object.keys(reader.value)) {
    if (!(expectKeys as readonly string[]).includes(key)) {
      throw new ScenarioError(source, reader.at(key), `unknown key '${key}'`, undefined, expectKeys.join(', '));
    }
    const value = reader.raw(key);
    if (typeof value === 'number') {
      if (!Number.isFinite(value) || value < 0) reader.fail(key, 'expected a number >= 0', 'a number, or {min, max}');
      clauses.push({ key: key as ExpectKey, min: value, max: value });
      continue;
    }
    const bounds = ObjectReader.of(source, reader.at(key), value);
    const min = bounds.has('min') ? bounds.number('min', { min: 0 }) : (bounds.raw('min'), undefined);
    const max = bounds.has('max') ? bounds.number('max', { min: 0 }) : (bounds.raw('max'), undefined);
    bounds.done('min, max');
    if (min === undefined && max === undefined) reader.fail(key, 'give min, max or both', 'a number, or {min, max}');
    if (min !== undefined && max !== undefined && max < min) bounds.fail('max', 'must not be below min');
    clauses.push({ key: key as ExpectKey, min, max });
  }
  return clauses;
}

/** The clause as a scenario file writes it. */
export function expectDocument(clauses: readonly ExpectClause[]): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  for (const { key, min, max } of clauses) {
    if (min !== undefined && min === max) document[key] = min;
    else document[key] = { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
  }
  return document;
}
