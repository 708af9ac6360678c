/**
 * A population's recorded schedule replays it exactly; schedules, swarm mixes and `expect` clauses are
 * validated with errors that name the field and what is allowed.
 */
import { describe, expect, it } from 'vitest';
import { runSeed, seedDocument } from '../../src/check/seed-run.js';
import { formatAt } from '../../src/check/shrink.js';
import { drawSwarm, swarmLinks, swarmLossRates, swarmRateFactors } from '../../src/check/swarm.js';
import { ScenarioError } from '../../src/scenario/errors.js';
import { readScenario } from '../../src/scenario/schema.js';

const phones = { name: 'phones', duration: '2h', population: { groups: [{ name: 'phone', count: 6, messagesPerHour: 6 }] } };

function refusal(document: object): string {
  try {
    readScenario('sims/test.json', document);
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  throw new Error('the scenario was accepted');
}

function withSchedule(schedule: object) {
  return { ...phones, population: { groups: [{ ...phones.population.groups[0], schedule }] } };
}

describe('a group schedule', () => {
  it('recorded from a random run replays that run with the same trace hash', () => {
    const random = runSeed({ document: phones, source: '(test)', seed: 3, overrides: {}, swarm: false });
    expect(random.schedule.faults.length).toBeGreaterThan(3);
    expect(random.schedule.messages.length).toBeGreaterThan(30);
    const faults = random.schedule.faults.map((fault) => ({ ...fault, at: formatAt(fault.at) }));
    const messages = random.schedule.messages.map((message) => ({ ...message, at: formatAt(message.at) }));
    const scheduled = runSeed({ document: withSchedule({ faults, messages }), source: '(test)', seed: 3, overrides: {}, swarm: false });
    expect(scheduled.traceHash).toBe(random.traceHash);
  });

  it('with no faults and one message sends just that message', () => {
    const outcome = runSeed({ document: withSchedule({ faults: [], messages: [{ at: '2m', from: 'phone1', to: 'phone2' }] }), source: '(test)', seed: 1, overrides: {}, swarm: false });
    expect(outcome.schedule).toEqual({ faults: [], messages: [{ at: 120_000, from: 'phone1', to: 'phone2' }] });
    expect(outcome.messages?.delivered).toBe(1);
  });

  it('refuses a client outside the group, naming the members', () => {
    expect(refusal(withSchedule({ faults: [{ at: '1m', client: 'phone7', kind: 'reset' }] }))).toBe(
      'sims/test.json: population.groups[0].schedule.faults[0].client: not a client of this group (got "phone7"); allowed: phone1 … phone6',
    );
  });

  it('refuses a black hole without a duration, and unknown fields', () => {
    expect(refusal(withSchedule({ faults: [{ at: '1m', client: 'phone1', kind: 'blackhole' }] }))).toContain('faults[0].durationMs: a blackhole needs a duration');
    expect(refusal(withSchedule({ messages: [{ at: '1m', from: 'phone1', to: 'phone2', body: 'x' }] }))).toContain("messages[0].body: unknown field 'body'");
  });

  it('refuses a message to nobody', () => {
    expect(refusal(withSchedule({ messages: [{ at: '1m', from: 'phone1', to: 'carol' }] }))).toBe(
      'sims/test.json: population.groups[0].schedule.messages[0].to: no such client or account (got "carol"); allowed: a population client, an account, or a bare JID',
    );
  });
});

describe('expect', () => {
  it('refuses an unknown key, naming every allowed one', () => {
    const message = refusal({ ...phones, expect: { lots: 0 } });
    expect(message).toMatch(/^sims\/test\.json: expect\.lots: unknown key 'lots'; allowed: sent, delivered, duplicated, offline, bounced, lost, falseBounces, resends, hibernation\.started/);
  });

  it('refuses bounds that are not numbers, empty, or upside down', () => {
    expect(refusal({ ...phones, expect: { lost: '0' } })).toBe('sims/test.json: expect.lost: expected an object (got "0")');
    expect(refusal({ ...phones, expect: { lost: {} } })).toBe('sims/test.json: expect.lost: give min, max or both (got {}); allowed: a number, or {min, max}');
    expect(refusal({ ...phones, expect: { lost: { min: 3, max: 1 } } })).toBe('sims/test.json: expect.lost.max: must not be below min (got 1)');
    expect(refusal({ ...phones, expect: { lost: { most: 1 } } })).toBe("sims/test.json: expect.lost.most: unknown field 'most'; allowed: min, max");
  });

  it('reads numbers as exact values and objects as ranges', () => {
    expect(readScenario('x', { ...phones, expect: { lost: 0, 'hibernation.expired': { max: 2 } } }).expect).toEqual([
      { key: 'lost', min: 0, max: 0 },
      { key: 'hibernation.expired', min: undefined, max: 2 },
    ]);
  });
});

describe('swarm', () => {
  it('draws each group a mix from the seed alone, from the small sets', () => {
    const scenario = readScenario('x', phones);
    const mix = drawSwarm(scenario, 9);
    expect(drawSwarm(scenario, 9)).toEqual(mix);
    const group = mix.groups[0]!;
    expect(Object.keys(group.faultScale)).toEqual(['reset', 'blackhole', 'outage']);
    for (const factor of Object.values(group.faultScale)) expect(swarmRateFactors).toContain(factor);
    expect(swarmLinks.map((link) => link.latencyMs)).toContain(group.latencyMs);
    expect(swarmLossRates).toContain(group.lossRate);
    const differs = [1, 2, 3, 4, 5, 6, 7, 8].some((seed) => JSON.stringify(drawSwarm(scenario, seed)) !== JSON.stringify(mix));
    expect(differs).toBe(true);
  });

  it('writes the mix into the document, and a stored mix replays the swarm run', () => {
    const { document, swarm } = seedDocument({ document: phones, source: 'x', seed: 4, swarm: true });
    const network = (document.population as { groups: Array<{ network: Record<string, unknown> }> }).groups[0]!.network;
    expect(network.latencyMs).toBe(swarm!.groups[0]!.latencyMs);
    const drawn = runSeed({ document: phones, source: 'x', seed: 4, overrides: {}, swarm: true });
    const replayed = runSeed({ document: phones, source: 'x', seed: 4, overrides: {}, swarm: drawn.swarm });
    expect(replayed.traceHash).toBe(drawn.traceHash);
    expect(runSeed({ document: phones, source: 'x', seed: 4, overrides: {}, swarm: false }).traceHash).not.toBe(drawn.traceHash);
  });
});
