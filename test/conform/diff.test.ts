import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/cli/conform/diff.js';

describe('unifiedDiff', () => {
  it('is empty for equal lists', () => {
    expect(unifiedDiff(['a', 'b'], ['a', 'b'], 'prosody', 'smacksim')).toBe('');
  });

  it('shows a changed line as - then +, with three lines of context', () => {
    const before = ['1', '2', '3', '4', 'x', '6', '7', '8', '9'];
    const after = ['1', '2', '3', '4', 'y', '6', '7', '8', '9'];
    expect(unifiedDiff(before, after, 'prosody bob wire', 'smacksim bob wire')).toBe(
      ['--- prosody bob wire', '+++ smacksim bob wire', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-x', '+y', ' 6', ' 7', ' 8'].join('\n'),
    );
  });

  it('numbers an insertion into an empty list from 0', () => {
    expect(unifiedDiff([], ['script[9] wait-for: timed out'], 'p', 's')).toBe(['--- p', '+++ s', '@@ -0,0 +1,1 @@', '+script[9] wait-for: timed out'].join('\n'));
  });

  it('splits changes far apart into two hunks', () => {
    const before = Array.from({ length: 20 }, (_, index) => `l${index}`);
    const after = before.map((line, index) => (index === 1 || index === 18 ? `${line}!` : line));
    const hunks = unifiedDiff(before, after, 'p', 's').split('\n').filter((line) => line.startsWith('@@'));
    expect(hunks).toEqual(['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@']);
  });
});
