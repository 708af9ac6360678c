/**
 * Every historic bug switch is caught by `check` within the seed budget of its sims/bugs/<id>.json
 * (its `check.seeds`, 10 without one), and with the switch off the same seeds pass: the file's
 * `expect` clause states the outcome the bug violates, and the built-in invariants catch the rest.
 * The seeds run in-process (runSeed, as a check worker does), not on worker threads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { InvariantName } from '../../src/check/invariants.js';
import { runSeed, runSeedAsync, type SeedOutcome, type SeedSpec } from '../../src/check/seed-run.js';
import { readScenario, type Scenario } from '../../src/scenario/schema.js';
import { bugIds } from '../../src/smacks/bugs.js';
import { simsPath } from '../helpers.js';

/** The seed budget of a file without `check.seeds` (the default for sims/bugs). */
const budgetDefault = 10;

/**
 * What each bug breaks on every seed: the invariants of its first failing seed. `expect:<key>` is the
 * file's own clause; the others are built in (src/check/invariants.ts).
 */
const caughtBy: Record<string, InvariantName[]> = {
  B1: ['expect:offline', 'expect:delivered'],
  B2: ['expect:hibernation.started'],
  B6: ['expect:duplicated'],
  B8: ['resume-replay', 'expect:duplicated', 'expect:queue.peak'],
  B9: ['resume-replay', 'expect:duplicated', 'expect:queue.peak'],
  B11: ['queue-disposition', 'resume-replay', 'expect:lost', 'expect:offline'],
  B12: ['expect:virtualTimeMs'],
  B15: ['expect:offline', 'expect:hibernation.expired'],
  B16: ['expect:duplicated', 'expect:hibernation.started'],
  B18: ['expect:duplicated'],
  B19: ['expect:lost', 'expect:bounced'],
  B20: ['expect:lost', 'expect:bounced'],
  B22: ['expect:hibernation.started'],
  B23: ['expect:offline', 'expect:hibernation.expired'],
  B28: ['expect:offline', 'expect:hibernation.started'],
  B30: ['queue-disposition', 'expect:lost', 'expect:offline'],
  'C-2': ['queue-disposition', 'expect:lost', 'expect:offline'],
  'C-3': ['expect:lost', 'expect:delivered'],
  'M-1': ['queue-disposition', 'resume-replay', 'expect:lost', 'expect:offline'],
  'M-2': ['expect:duplicated', 'expect:hibernation.resumed'],
};

interface BugFile {
  id: string;
  source: string;
  document: Record<string, unknown>;
  scenario: Scenario;
  budget: number;
}

const bugFiles: BugFile[] = readdirSync(simsPath('bugs'))
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => {
    const source = simsPath(`bugs/${name}`);
    const document = JSON.parse(readFileSync(source, 'utf8')) as Record<string, unknown>;
    const scenario = readScenario(source, document);
    return { id: name.slice(0, -'.json'.length), source, document, scenario, budget: scenario.check?.seeds ?? budgetDefault };
  });

function isAsync(scenario: Scenario): boolean {
  return scenario.groups.some((group) => group.devices.some((device) => device.model === 'xmppjs-real'));
}

/** Seeds 1 … budget of the file, as `smacksim check <file>` runs them (no --from, no --swarm). */
async function checkSeeds(file: BugFile, overrides: SeedSpec['overrides']): Promise<SeedOutcome[]> {
  const outcomes: SeedOutcome[] = [];
  for (let seed = 1; seed <= file.budget; seed++) {
    const spec: SeedSpec = { document: file.document, source: file.source, seed, overrides, swarm: false };
    outcomes.push(isAsync(file.scenario) ? await runSeedAsync(spec) : runSeed(spec));
  }
  return outcomes;
}

const invariantsOf = (outcome: SeedOutcome): InvariantName[] => [...new Set(outcome.violations.map((violation) => violation.invariant))];

describe('sims/bugs', () => {
  it('has one file per switch, each with an expect clause, a small seed budget and an entry here', () => {
    expect(bugFiles.map((file) => file.id).sort()).toEqual([...bugIds].sort());
    expect(Object.keys(caughtBy).sort()).toEqual([...bugIds].sort());
    for (const file of bugFiles) {
      expect(file.scenario.expect.length, file.id).toBeGreaterThan(0);
      expect(file.budget, file.id).toBeLessThanOrEqual(20);
    }
  });
});

describe.each(bugFiles.map((file) => [file.id, file] as const))('check sims/bugs/%s.json', (id, file) => {
  it(`fails a seed within its budget with the bug on, breaking ${caughtBy[id]?.join(', ')}`, async () => {
    const outcomes = await checkSeeds(file, {});
    const failing = outcomes.find((outcome) => !outcome.isPassing);
    expect(failing, `no seed of 1…${file.budget} fails`).toBeDefined();
    expect(invariantsOf(failing!)).toEqual(caughtBy[id]);
  });

  it('passes the same seeds with the bug off (--set bugs=)', async () => {
    const outcomes = await checkSeeds(file, { bugs: [] });
    for (const outcome of outcomes) expect(outcome.violations, `seed ${outcome.seed}`).toEqual([]);
  });
});

describe("a scenario's check block", () => {
  const base = { name: 'tiny', accounts: ['a'], clients: { a: { account: 'a' } }, script: [{ do: 'login', client: 'a' }] };

  it('is optional, and gives the seed budget', () => {
    expect(readScenario('(test)', base).check).toBeUndefined();
    expect(readScenario('(test)', { ...base, check: { seeds: 20 } }).check).toEqual({ seeds: 20 });
  });

  it('refuses a budget that is not a positive integer, and any other key', () => {
    expect(() => readScenario('t.json', { ...base, check: { seeds: 0 } })).toThrow('t.json: check.seeds: out of range');
    expect(() => readScenario('t.json', { ...base, check: { seeds: 2.5 } })).toThrow('t.json: check.seeds: expected an integer');
    expect(() => readScenario('t.json', { ...base, check: {} })).toThrow('t.json: check.seeds: missing required field');
    expect(() => readScenario('t.json', { ...base, check: { seeds: 5, swarm: true } })).toThrow("t.json: check.swarm: unknown field 'swarm'");
    expect(() => readScenario('t.json', { ...base, check: 5 })).toThrow('t.json: check: expected an object');
  });
});
