/**
 * The CLI as a user meets it: a separate node process, its exit code, stdout and stderr. Determinism
 * is checked across processes, which is the promise the printed replay command makes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Outcome, ensureBuilt, spawnCli } from '../cli-process.js';
import { repoRoot } from '../helpers.js';

const root = repoRoot;
const blackhole = 'sims/skeleton/resume-after-blackhole.json';

function smacksim(...args: string[]): Outcome {
  return spawnCli(root, args);
}

function runJson(...args: string[]): Record<string, unknown> {
  const outcome = smacksim('run', ...args, '--json');
  expect(outcome.stderr).not.toContain('error');
  expect(outcome.status).toBe(0);
  return JSON.parse(outcome.stdout) as Record<string, unknown>;
}

let scratch: string;

beforeAll(() => {
  ensureBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'smacksim-cli-'));
}, 120_000);

describe('smacksim run refuses bad input with exit code 2', () => {
  it('names the file and the field of a bad scenario on stderr', () => {
    const path = join(scratch, 'bad-step.json');
    const document = JSON.parse(readFileSync(join(root, blackhole), 'utf8')) as { script: Array<Record<string, unknown>> };
    document.script[3]!.do = 'explode';
    writeFileSync(path, JSON.stringify(document));
    const outcome = smacksim('run', path);
    expect(outcome.status).toBe(2);
    expect(outcome.stderr).toContain(`error: ${path}: script[3].do: not one of the allowed values (got "explode")`);
    expect(outcome.stdout).toBe('');
  });

  it('names a scenario file that does not exist', () => {
    const path = join(scratch, 'missing.json');
    const outcome = smacksim('run', path);
    expect(outcome.status).toBe(2);
    expect(outcome.stderr).toContain(`error: ${path}: (top level): cannot read the file (ENOENT)`);
  });

  it('names a file that is not JSON', () => {
    const path = join(scratch, 'not-json.json');
    writeFileSync(path, '{ "name": ');
    const outcome = smacksim('run', path);
    expect(outcome.status).toBe(2);
    expect(outcome.stderr).toContain(`error: ${path}: (top level): not valid JSON`);
  });

  it('names an unknown --set option', () => {
    const outcome = smacksim('run', blackhole, '--set', 'nosuch=1');
    expect(outcome.status).toBe(2);
    expect(outcome.stderr).toContain("error: --set: nosuch: unknown setting 'nosuch'");
  });

  it('refuses --set smacks_max_queue_size=0', () => {
    const outcome = smacksim('run', blackhole, '--set', 'smacks_max_queue_size=0');
    expect(outcome.status).toBe(2);
    expect(outcome.stderr).toContain('error: --set: smacks_max_queue_size: invalid value for smacks_max_queue_size (got "0"); allowed: an integer > 0');
  });

  it('refuses a seed that is not a non-negative integer', () => {
    const outcome = smacksim('run', blackhole, '--seed', 'abc');
    expect(outcome.status).toBe(2);
    expect(outcome.stderr).toContain('error: --seed: seed: expected a non-negative integer (got "abc")');
  });
});

describe('smacksim run --json', () => {
  it('prints one JSON object with the run summary on stdout and exits 0', () => {
    const outcome = smacksim('run', blackhole, '--json');
    expect(outcome.status).toBe(0);
    const lines = outcome.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]!) as Record<string, any>;
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining(['scenario', 'seed', 'variant', 'settings', 'virtualTimeMs', 'events', 'traceHash', 'messages', 'resends', 'hibernation', 'acks', 'queue', 'wire']),
    );
    expect(result.scenario).toBe('resume-after-blackhole');
    expect(result.seed).toBe(1);
    expect(result.variant).toBe('core-0.12');
    expect(result.settings.read_timeout).toBe(10);
    expect(result.settings.smacks_hibernation_time).toBe(60);
    expect(result.settings.smacks_max_queue_size).toBe(500);
    expect(result.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.keys(result.messages)).toEqual(expect.arrayContaining(['sent', 'delivered', 'duplicated', 'offline', 'bounced', 'lost']));
    expect(Object.keys(result.hibernation)).toEqual(expect.arrayContaining(['started', 'resumed', 'expired', 'evicted']));
    expect(Object.keys(result.acks)).toEqual(expect.arrayContaining(['requested', 'received', 'delayed']));
    expect(Object.keys(result.queue)).toEqual(expect.arrayContaining(['peak', 'peakBytes']));
    expect(Object.keys(result.wire).sort()).toEqual(['alice', 'bob']);
    // seed= still comes first, on stderr, so stdout stays machine-readable.
    expect(outcome.stderr.split('\n')[0]).toBe('seed=1');
  });

  it('reports the black-hole scenario as three messages delivered once after one hibernation and resume', () => {
    const result = runJson(blackhole) as Record<string, any>;
    expect(result.messages).toMatchObject({ sent: 3, delivered: 3, duplicated: 0, offline: 0, bounced: 0, lost: 0 });
    expect(result.hibernation).toMatchObject({ started: 1, resumed: 1, expired: 0, evicted: 0 });
    expect(result.wire.bob).toContain("<resumed h='1' previd='SMID1' xmlns='urn:xmpp:sm:3'/>");
  });

  it('applies --set overrides to the reported settings', () => {
    const result = runJson(blackhole, '--set', 'smacks_max_ack_delay=5') as Record<string, any>;
    expect(result.settings.smacks_max_ack_delay).toBe(5);
    expect(result.replay).toBe('smacksim run sims/skeleton/resume-after-blackhole.json --seed 1 --set smacks_max_ack_delay=5');
  });
});

describe('smacksim run (plain)', () => {
  it('prints seed= as its first line and a replay: line with --seed', () => {
    const outcome = smacksim('run', blackhole, '--seed', '7');
    expect(outcome.status).toBe(0);
    const lines = outcome.stdout.split('\n');
    expect(lines[0]).toBe('seed=7');
    const replay = lines.find((line) => line.startsWith('replay: '));
    expect(replay).toBe('replay: smacksim run sims/skeleton/resume-after-blackhole.json --seed 7');
  });
});

describe('smacksim run --trace', () => {
  it('writes one JSON line per trace event, as many as the result counts', () => {
    const tracePath = join(scratch, 'run.jsonl');
    const result = runJson(blackhole, '--trace', tracePath);
    const lines = readFileSync(tracePath, 'utf8').trimEnd().split('\n');
    expect(result.traceEvents).toBeGreaterThan(0);
    expect(lines).toHaveLength(result.traceEvents as number);
    const events = lines.map((line) => JSON.parse(line) as { t: number; type: string });
    expect(events[0]).toMatchObject({ t: 0, type: 'run.phase', phase: 'safety' });
    expect(events.at(-1)).toMatchObject({ type: 'run.phase', phase: 'done' });
    // Virtual time never runs backwards in the trace.
    expect(events.every((event, index) => index === 0 || event.t >= events[index - 1]!.t)).toBe(true);
  });
});

describe('determinism across processes', () => {
  function shortPopulation(): string {
    const document = JSON.parse(readFileSync(join(root, 'sims/default-mobile-day.json'), 'utf8')) as {
      name: string;
      duration: string;
      population: { groups: Array<{ count: number }> };
    };
    document.name = 'mobile-2h';
    document.duration = '2h';
    document.population.groups[0]!.count = 5;
    const path = join(scratch, 'mobile-2h.json');
    writeFileSync(path, JSON.stringify(document));
    return path;
  }

  it('two processes on the same scripted scenario and seed print the same result and trace hash', () => {
    const { wallMs: _first, ...first } = runJson(blackhole, '--seed', '3');
    const { wallMs: _second, ...second } = runJson(blackhole, '--seed', '3');
    expect(second.traceHash).toBe(first.traceHash);
    expect(second).toEqual(first);
  });

  it('two processes on the same random population and seed print the same trace hash', () => {
    const path = shortPopulation();
    const first = runJson(path, '--seed', '11');
    const second = runJson(path, '--seed', '11');
    expect(first.traceHash).toBe(second.traceHash);
    expect(first.events).toBe(second.events);
    expect(first.messages).toEqual(second.messages);
  });

  it('two different seeds on a random population give different trace hashes', () => {
    const path = shortPopulation();
    const one = runJson(path, '--seed', '1');
    const two = runJson(path, '--seed', '2');
    expect((one.messages as { sent: number }).sent).toBeGreaterThan(0);
    expect(two.traceHash).not.toBe(one.traceHash);
  });
});
