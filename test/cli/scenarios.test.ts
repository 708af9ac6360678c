/** `smacksim scenarios`: the sims/ library by folder, name and first sentence. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstSentence, formatScenarioList, listScenarios } from '../../src/cli/scenarios.js';
import { repoRoot } from '../helpers.js';

describe('smacksim scenarios', () => {
  it('takes the first sentence of a description', () => {
    expect(firstSentence('Phones on LTE. Then more.')).toBe('Phones on LTE.');
    expect(firstSentence('Prosody 0.12.3 defaults, no faults')).toBe('Prosody 0.12.3 defaults, no faults');
  });

  it('lists every file under a folder, grouped by sub-folder, with name and summary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smacksim-sims-'));
    mkdirSync(join(dir, 'world'));
    writeFileSync(join(dir, 'top.json'), JSON.stringify({ name: 'top', description: 'At the top. More.' }));
    writeFileSync(join(dir, 'world', 'b.json'), JSON.stringify({ name: 'bee', description: 'Second one!' }));
    writeFileSync(join(dir, 'world', 'a.json'), '{ not json');
    expect(formatScenarioList(listScenarios(dir)).split('\n')).toEqual([
      'sims/',
      '  top.json  top — At the top.',
      '',
      'sims/world/',
      expect.stringMatching(/^ {2}a\.json {2}\(unreadable\) — not valid JSON: /),
      '  b.json  bee — Second one!',
    ]);
  });

  it('shows every scenario shipped in sims/, the world library among them', () => {
    const entries = listScenarios(`${repoRoot}sims`);
    const world = entries.filter((entry) => entry.file.startsWith('world/'));
    expect(world.length).toBeGreaterThanOrEqual(10);
    for (const entry of entries) {
      expect(entry.name).not.toBe('(unreadable)');
      expect(entry.summary).not.toBe('(no description)');
    }
  });
});
