/** `smacksim conform` input handling, in process (the runs themselves are test/conformance/). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { conformCommand, pool } from '../../src/cli/conform.js';
import { ScenarioError } from '../../src/scenario/errors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function refusal(paths: string[], flags: Parameters<typeof conformCommand>[1] = {}): Promise<string> {
  try {
    await conformCommand(paths, flags);
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  throw new Error('accepted');
}

describe('smacksim conform refuses what cannot run against a real server', () => {
  it('names the file and why: a population, an s2s peer', async () => {
    expect(await refusal([`${root}sims/default-mobile-day.json`])).toMatch(/default-mobile-day\.json: \(top level\): cannot run against a real server: population: conformance scenarios are scripts only/);
    expect(await refusal([`${root}sims/s2s/link-loss-bounce.json`])).toMatch(/peer: s2s with a second domain is not set up against a real server/);
  });

  it('names a path option the proxy does not model (the wired profile has jitter)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'smacksim-conform-')), 'wired.json');
    writeFileSync(path, JSON.stringify({ name: 'wired', accounts: ['a'], clients: { a: { account: 'a', network: 'wired' } }, script: [{ do: 'login', client: 'a' }] }));
    expect(await refusal([path])).toMatch(/wired\.json: .*clients\.a\.network\.jitterMs: not modelled by the proxy/);
  });

  it('refuses --jobs 0', async () => {
    expect(await refusal([`${root}test/conformance/iq-basics.json`], { jobs: '0' })).toMatch(/--jobs: jobs: expected an integer >= 1 \(got "0"\)/);
  });

  it('exits 2 with a hint when the prosody executable is missing', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await conformCommand([`${root}test/conformance/iq-basics.json`], { prosody: '/nonexistent/prosody' })).toBe(2);
      expect(String(stderr.mock.calls[0]?.[0])).toContain('error: /nonexistent/prosody not found; install Prosody 0.12.3');
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('pool', () => {
  it('runs at most `jobs` at a time and keeps the input order', async () => {
    let running = 0;
    let peak = 0;
    const results = await pool([30, 10, 20, 5, 15], 2, async (ms) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
      return ms * 2;
    });
    expect(results).toEqual([60, 20, 40, 10, 30]);
    expect(peak).toBe(2);
  });
});
