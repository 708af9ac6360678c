/**
 * A small reader for validating JSON objects field by field: every getter names the field's full
 * path in its error, and `done()` refuses keys nobody asked for, so a typo never passes silently.
 */
import { parseDurationMs } from './duration.js';
import { ScenarioError } from './errors.js';

export class ObjectReader {
  private readonly seen = new Set<string>();

  constructor(
    readonly source: string,
    readonly path: string,
    readonly value: Record<string, unknown>,
  ) {}

  static of(source: string, path: string, value: unknown): ObjectReader {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ScenarioError(source, path, 'expected an object', value);
    }
    return new ObjectReader(source, path, value as Record<string, unknown>);
  }

  at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  raw(key: string): unknown {
    this.seen.add(key);
    return this.value[key];
  }

  fail(key: string, reason: string, allowed?: string): never {
    throw new ScenarioError(this.source, this.at(key), reason, this.value[key], allowed);
  }

  string(key: string): string;
  string(key: string, fallback: string): string;
  string(key: string, fallback: undefined): string | undefined;
  string(key: string, ...rest: [string?]): string | undefined {
    const value = this.raw(key);
    if (value === undefined) {
      if (rest.length > 0) return rest[0];
      return this.fail(key, 'missing required field', 'a string');
    }
    if (typeof value !== 'string') return this.fail(key, 'expected a string', 'a string');
    return value;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback?: T): T {
    const value = this.raw(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || !values.includes(value as T)) {
      return this.fail(key, value === undefined ? 'missing required field' : 'not one of the allowed values', values.join(', '));
    }
    return value as T;
  }

  number(key: string, options: { min?: number; max?: number; isInteger?: boolean; fallback?: number } = {}): number {
    const value = this.raw(key);
    if (value === undefined && options.fallback !== undefined) return options.fallback;
    const allowed =
      `${options.isInteger ? 'an integer' : 'a number'}` +
      (options.min !== undefined ? ` >= ${options.min}` : '') +
      (options.max !== undefined ? ` <= ${options.max}` : '');
    if (value === undefined) return this.fail(key, 'missing required field', allowed);
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(key, 'expected a number', allowed);
    if (options.isInteger && !Number.isInteger(value)) return this.fail(key, 'expected an integer', allowed);
    if ((options.min !== undefined && value < options.min) || (options.max !== undefined && value > options.max)) {
      return this.fail(key, 'out of range', allowed);
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') return this.fail(key, 'expected true or false', 'true, false');
    return value;
  }

  duration(key: string, fallback?: number): number {
    const value = this.raw(key);
    if (value === undefined) {
      if (fallback !== undefined) return fallback;
      return this.fail(key, 'missing required field', 'milliseconds, or a string like "250ms", "30s", "5m", "2h", "1d"');
    }
    const ms = parseDurationMs(value);
    if (ms === undefined) return this.fail(key, 'not a duration', 'milliseconds, or a string like "250ms", "30s", "5m", "2h", "1d"');
    return ms;
  }

  object(key: string): ObjectReader | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    return ObjectReader.of(this.source, this.at(key), value);
  }

  array(key: string): unknown[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return this.fail(key, 'expected an array');
    return value;
  }

  /** Refuse keys that were never read. */
  done(allowedHint?: string): void {
    for (const key of Object.keys(this.value)) {
      if (!this.seen.has(key)) {
        const allowed = allowedHint ?? [...this.seen].join(', ');
        throw new ScenarioError(this.source, this.at(key), `unknown field '${key}'`, undefined, allowed);
      }
    }
  }
}
