/**
 * check, replay and shrink as a user meets them: separate node processes (worker threads included),
 * their exit codes, what they print and the files they write.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Outcome, ensureBuilt, spawnCli } from '../cli-process.js';
import { repoRoot } from '../helpers.js';

const root = repoRoot;

function smacksim(cwd: string, ...args: string[]): Outcome {
  return spawnCli(cwd, args);
}

let scratch: string;

beforeAll(() => {
  ensureBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'smacksim-check-'));
  writeFileSync(
    join(scratch, 'phones.json'),
    JSON.stringify({ name: 'phones', duration: '1h', population: { groups: [{ name: 'phone', count: 5, messagesPerHour: 10 }] } }),
  );
  writeFileSync(
    join(scratch, 'offline.json'),
    JSON.stringify({ name: 'offline', duration: '2h', expect: { offline: 0 }, population: { groups: [{ name: 'phone', count: 20, messagesPerHour: 6 }] } }),
  );
}, 120_000);

describe('smacksim check', () => {
  it('passes a small random population for four seeds on two workers, and exits 0', () => {
    const outcome = smacksim(scratch, 'check', 'phones.json', '--seeds', '4', '--jobs', '2', '--swarm');
    expect(outcome.stderr).toBe('');
    expect(outcome.status).toBe(0);
    expect(outcome.stdout.split('\n')[0]).toBe('seeds=1..4');
    expect(outcome.stdout).toContain('scenario phones · 4 seeds on 2 workers · swarm');
    expect(outcome.stdout).toMatch(/4 seeds checked in [\d.]+ s on 2 workers .*: 4 passed, 0 failed/);
    expect(existsSync(join(scratch, 'repros'))).toBe(false);
  });

  it('prints each failing seed with its invariant and replay commands, writes its repro, and exits 1', () => {
    const outcome = smacksim(scratch, 'check', 'offline.json', '--seeds', '2', '--jobs', '2', '--repros', 'found');
    expect(outcome.status).toBe(1);
    expect(outcome.stdout).toMatch(/FAIL seed=1 expect:offline: offline = \d+, expected 0/);
    expect(outcome.stdout).toContain('  replay smacksim replay found/offline-1.json');
    expect(outcome.stdout).toContain('  check  smacksim check offline.json --seeds 1 --from 1');
    expect(outcome.stdout).toContain('failing seeds: 1 2; repro files in found/');
    const repro = JSON.parse(readFileSync(join(scratch, 'found', 'offline-1.json'), 'utf8'));
    expect(repro).toMatchObject({ format: 'smacksim-repro/1', scenarioPath: 'offline.json', seed: 1, bugs: [], swarm: null, invariant: { name: 'expect:offline' } });
    expect(repro.scenario.name).toBe('offline');
    expect(repro.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(repro.schedule.faults.length).toBeGreaterThan(10);
    expect(repro.schedule.messages[0]).toEqual({ at: expect.any(Number), from: expect.stringMatching(/^phone\d+$/), to: expect.stringMatching(/^phone\d+$/) });
  });

  it("takes the seed count from the scenario's check.seeds without --seeds: a bug file fails with its bug on, passes with --set bugs=", () => {
    const b19 = join(root, 'sims', 'bugs', 'B19.json');
    const on = smacksim(scratch, 'check', b19, '--repros', 'b19');
    expect(on.status).toBe(1);
    expect(on.stdout.split('\n')[0]).toBe('seeds=1..3');
    expect(on.stdout).toContain('FAIL seed=1 expect:lost: lost = 1, expected 0');
    expect(on.stdout).toContain('failing seeds: 1 2 3; repro files in b19/');
    const off = smacksim(scratch, 'check', b19, '--set', 'bugs=', '--repros', 'b19-off');
    expect(off.status).toBe(0);
    expect(off.stdout).toMatch(/3 seeds checked in [\d.]+ s on \d workers? .*: 3 passed, 0 failed/);
    expect(smacksim(scratch, 'check', b19, '--seeds', '1', '--repros', 'b19-one').stdout.split('\n')[0]).toBe('seeds=1..1');
  });

  it('refuses a bad seed count with exit 2', () => {
    const outcome = smacksim(scratch, 'check', 'phones.json', '--seeds', '0');
    expect(outcome.status).toBe(2);
    expect(outcome.stderr).toContain('--seeds');
  });
});

describe('smacksim replay and shrink', () => {
  it('replays a repro to its saved trace hash; --verify finds the two runs identical', () => {
    smacksim(scratch, 'check', 'offline.json', '--seeds', '1', '--from', '3', '--jobs', '1', '--repros', 'three');
    const replay = smacksim(scratch, 'replay', 'three/offline-3.json');
    expect(replay.status).toBe(0);
    expect(replay.stdout.split('\n')[0]).toBe('seed=3');
    expect(replay.stdout).toMatch(/trace hash ([0-9a-f]{16}) \(\d+ events, [\d.]+ s\) = saved \1: reproduced bit for bit/);
    expect(replay.stdout).toMatch(/still broken: expect:offline/);
    const verify = smacksim(scratch, 'replay', 'three/offline-3.json', '--verify');
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/verify: run 1 and run 2 are identical \(\d+ trace events, hash [0-9a-f]{16}\)/);
  });

  it('says so and exits 1 when the saved hash is not what the run gives', () => {
    const path = join(scratch, 'three', 'offline-3.json');
    const repro = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(join(scratch, 'tampered.json'), JSON.stringify({ ...repro, traceHash: '0123456789abcdef' }));
    const replay = smacksim(scratch, 'replay', 'tampered.json');
    expect(replay.status).toBe(1);
    expect(replay.stdout).toContain('≠ saved 0123456789abcdef: NOT the saved run');
  });

  it('shrinks the repro to a scenario file with far fewer clients that fails the same way', () => {
    smacksim(scratch, 'check', 'offline.json', '--seeds', '1', '--from', '3', '--jobs', '1', '--repros', 'three');
    const shrink = smacksim(scratch, 'shrink', 'three/offline-3.json', '--out', 'small.json');
    expect(shrink.stderr).toBe('');
    expect(shrink.status).toBe(0);
    expect(shrink.stdout).toMatch(/wrote small\.json after \d+ runs/);
    expect(shrink.stdout).toMatch(/clients\s+20\s+[1-5]\n/);
    expect(shrink.stdout).toContain('check it: smacksim check small.json --seeds 1 --from 3');
    const shrunk = JSON.parse(readFileSync(join(scratch, 'small.json'), 'utf8'));
    expect(shrunk.seed).toBe(3);
    expect(shrunk.expect).toEqual({ offline: 0 });
    const again = smacksim(scratch, 'check', 'small.json', '--seeds', '1', '--from', '3', '--repros', 'small');
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/FAIL seed=3 expect:offline/);
  });
});
