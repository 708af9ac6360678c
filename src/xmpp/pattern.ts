/**
 * Element patterns for the `wait-for` script step: a small selector over a received element.
 *
 *   name                 any element with this name (`message`, `r`, `resumed`, `stream:error`)
 *   name#id              … whose id attribute is `id`
 *   name[attr=value]     … whose attribute has this value (quotes optional; several allowed)
 *   *                    any element (combines with #id and [..])
 *
 * `</stream:stream>` (or `stream:close`) matches the server's stream close, which clients record as
 * an element named `stream:close`.
 */
import type { Element } from './stanza.js';

export interface ElementPattern {
  /** The pattern as written (for messages). */
  readonly text: string;
  /** undefined matches any name. */
  readonly name: string | undefined;
  readonly attrs: ReadonlyArray<readonly [string, string]>;
}

const patternRegex = /^(\*|[A-Za-z_][\w.:-]*)?(#[^\s#[\]]+)?((?:\[\s*[A-Za-z_][\w.:-]*\s*=\s*(?:'[^']*'|"[^"]*"|[^\]'"]*)\s*\])*)$/;
const attrRegex = /\[\s*([A-Za-z_][\w.:-]*)\s*=\s*('[^']*'|"[^"]*"|[^\]'"]*)\s*\]/g;

/** Parse a pattern; returns an error text when it is not one. */
export function parseElementPattern(text: string): ElementPattern | string {
  const source = text.trim() === '</stream:stream>' ? 'stream:close' : text.trim();
  const match = patternRegex.exec(source);
  if (source === '' || match === null || (match[1] === undefined && match[2] === undefined && match[3] === '')) {
    return "expected name, name#id or name[attr=value] (name may be '*')";
  }
  const attrs: Array<[string, string]> = [];
  if (match[2] !== undefined) attrs.push(['id', match[2].slice(1)]);
  for (const item of (match[3] ?? '').matchAll(attrRegex)) {
    let value = item[2]!.trim();
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    attrs.push([item[1]!, value]);
  }
  const name = match[1] === undefined || match[1] === '*' ? undefined : match[1];
  return { text, name, attrs };
}

export function matchesPattern(pattern: ElementPattern, element: Element): boolean {
  if (pattern.name !== undefined && element.name !== pattern.name) return false;
  for (const [name, value] of pattern.attrs) if (element.attrs[name] !== value) return false;
  return true;
}
