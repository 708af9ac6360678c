import { describe, expect, it } from 'vitest';
import { datetimeStamp, epochMsDefault, unixSeconds } from '../../src/engine/time.js';

const secondMs = 1000;
const dayMs = 86_400_000;

describe('datetimeStamp', () => {
  it('prints the default epoch at t = 0 as 2026-01-01T00:00:00Z', () => {
    expect(datetimeStamp(epochMsDefault, 0)).toBe('2026-01-01T00:00:00Z');
  });

  it('prints one virtual day later as the next calendar day', () => {
    expect(datetimeStamp(epochMsDefault, dayMs)).toBe('2026-01-02T00:00:00Z');
  });

  it('prints hours, minutes and seconds, truncating milliseconds as XEP-0082 seconds resolution does', () => {
    expect(datetimeStamp(epochMsDefault, 999)).toBe('2026-01-01T00:00:00Z');
    expect(datetimeStamp(epochMsDefault, 3_723_999)).toBe('2026-01-01T01:02:03Z');
  });

  it('prints the last second of 2026 and rolls over to 2027', () => {
    expect(datetimeStamp(epochMsDefault, 365 * dayMs - secondMs)).toBe('2026-12-31T23:59:59Z');
    expect(datetimeStamp(epochMsDefault, 365 * dayMs)).toBe('2027-01-01T00:00:00Z');
  });

  it('knows February 2026 has 28 days', () => {
    expect(datetimeStamp(epochMsDefault, (31 + 28) * dayMs - secondMs)).toBe('2026-02-28T23:59:59Z');
    expect(datetimeStamp(epochMsDefault, (31 + 28) * dayMs)).toBe('2026-03-01T00:00:00Z');
  });

  it('reaches the leap day 2028-02-29 after 789 days, and 2028-03-01 the day after', () => {
    // 2026 and 2027 have 365 days each; then January (31) and 28 days of February.
    expect(datetimeStamp(epochMsDefault, 789 * dayMs)).toBe('2028-02-29T00:00:00Z');
    expect(datetimeStamp(epochMsDefault, 789 * dayMs + 12 * 3_600_000)).toBe('2028-02-29T12:00:00Z');
    expect(datetimeStamp(epochMsDefault, 790 * dayMs)).toBe('2028-03-01T00:00:00Z');
  });

  it('follows the Gregorian century rules with another epoch: 2000 is a leap year, 2100 is not', () => {
    expect(datetimeStamp(0, 0)).toBe('1970-01-01T00:00:00Z');
    expect(datetimeStamp(951_782_400_000, 0)).toBe('2000-02-29T00:00:00Z');
    expect(datetimeStamp(4_107_542_400_000, -secondMs)).toBe('2100-02-28T23:59:59Z');
    expect(datetimeStamp(4_107_542_400_000, 0)).toBe('2100-03-01T00:00:00Z');
  });
});

describe('unixSeconds', () => {
  it('is os.time(): whole unix seconds of the virtual wall clock', () => {
    expect(unixSeconds(epochMsDefault, 0)).toBe(1_767_225_600);
    expect(unixSeconds(epochMsDefault, 1_999)).toBe(1_767_225_601);
  });
});
