/**
 * Determinism is the product: a run is a pure function of (scenario, settings, seed).
 * Method: run a random population twice with one seed and once with another, inside one process
 * (test/cli covers two processes).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultScenarioDocument } from '../../src/scenario/default.js';
import { run, simsPath } from '../helpers.js';

const randomPopulation = {
  name: 'determinism',
  duration: '3h',
  population: { groups: [{ name: 'p', count: 8, network: 'lossy-mobile', messagesPerHour: 30 }] },
};

describe('determinism', () => {
  it('gives the same trace hash and outcome for the same seed', () => {
    const first = run(randomPopulation, 7);
    const second = run(randomPopulation, 7);
    expect(second.traceHash).toBe(first.traceHash);
    expect(second.events).toBe(first.events);
    expect(second.messages).toEqual(first.messages);
    expect(first.messages.sent).toBeGreaterThan(100);
  });

  it('gives different trace hashes for different seeds', () => {
    expect(run(randomPopulation, 7).traceHash).not.toBe(run(randomPopulation, 8).traceHash);
  });

  it('changes the hash when a setting changes', () => {
    expect(run(randomPopulation, 7, { smacks_max_unacked_stanzas: 5 }).traceHash).not.toBe(run(randomPopulation, 7).traceHash);
  });

  it('ships the built-in default scenario as sims/default-mobile-day.json', () => {
    expect(JSON.parse(readFileSync(simsPath('default-mobile-day.json'), 'utf8'))).toEqual(defaultScenarioDocument);
  });
});
