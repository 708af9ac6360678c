/**
 * Virtual wall-clock helpers. A run starts at a fixed epoch, so every timestamp it prints is a
 * function of virtual time alone (no `Date` objects: they invite reading the real clock).
 */

/** 2026-01-01T00:00:00Z in unix ms: the virtual wall-clock time at t = 0. */
export const epochMsDefault = 1_767_225_600_000;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return [year, month, day];
}

/** XEP-0082 DateTime at one-second resolution, as Prosody's util.datetime.datetime() prints it. */
export function datetimeStamp(epochMs: number, nowMs: number): string {
  const totalSeconds = Math.floor((epochMs + nowMs) / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const secondsOfDay = totalSeconds - days * 86_400;
  const [year, month, day] = civilFromDays(days);
  const hours = Math.floor(secondsOfDay / 3600);
  const minutes = Math.floor((secondsOfDay % 3600) / 60);
  const seconds = secondsOfDay % 60;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}Z`;
}

/** os.time(): integer unix seconds. */
export function unixSeconds(epochMs: number, nowMs: number): number {
  return Math.floor((epochMs + nowMs) / 1000);
}
