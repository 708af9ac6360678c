import { describe, expect, it } from 'vitest';
import { matchesPattern, parseElementPattern, type ElementPattern } from '../../src/xmpp/pattern.js';
import { el } from '../../src/xmpp/stanza.js';

function pattern(text: string): ElementPattern {
  const parsed = parseElementPattern(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('element patterns for wait-for', () => {
  it("'message#m2' matches only the message with id m2", () => {
    expect(pattern('message#m2')).toEqual({ text: 'message#m2', name: 'message', attrs: [['id', 'm2']] });
    expect(matchesPattern(pattern('message#m2'), el('message', { id: 'm2' }))).toBe(true);
    expect(matchesPattern(pattern('message#m2'), el('message', { id: 'm1' }))).toBe(false);
    expect(matchesPattern(pattern('message#m2'), el('iq', { id: 'm2' }))).toBe(false);
  });

  it("'presence[type=unavailable]' and quoted values test attributes", () => {
    expect(matchesPattern(pattern('presence[type=unavailable]'), el('presence', { type: 'unavailable' }))).toBe(true);
    expect(matchesPattern(pattern("presence[type='unavailable']"), el('presence'))).toBe(false);
    expect(pattern(`a[h="3"][xmlns='urn:xmpp:sm:3']`).attrs).toEqual([
      ['h', '3'],
      ['xmlns', 'urn:xmpp:sm:3'],
    ]);
  });

  it("'*#p1' matches any element with that id; '</stream:stream>' the recorded stream close", () => {
    expect(matchesPattern(pattern('*#p1'), el('iq', { id: 'p1' }))).toBe(true);
    expect(pattern('</stream:stream>').name).toBe('stream:close');
    expect(matchesPattern(pattern('stream:error'), el('stream:error'))).toBe(true);
  });

  it('refuses what is not a pattern', () => {
    for (const text of ['', '#', 'message[type]', 'a b', '[x=1'] as const) {
      expect(parseElementPattern(text), text).toBeTypeOf('string');
    }
  });
});
