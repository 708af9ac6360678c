/**
 * Canonical XML for comparing what two servers sent: attributes sorted, single quotes, text escaped,
 * no insignificant whitespace. Volatile values are normalized by the caller's `rewrite` hook:
 * SM ids and `previd` become stable placeholders, `<delay>` loses its `stamp`, ids the server
 * invented become placeholders (see outcome/wire.ts).
 */
import type { Element } from './stanza.js';

export interface CanonicalRewrite {
  /** Return the value to print, or undefined to drop the attribute. */
  attribute(element: Element, name: string, value: string): string | undefined;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(text: string): string {
  return escapeText(text).replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

export function canonicalXml(element: Element, rewrite?: CanonicalRewrite): string {
  if (element.name === 'stream:close') return '</stream:stream>';
  const attrs = element.attrs as Record<string, unknown>;
  const names = Object.keys(attrs).filter((name) => typeof attrs[name] === 'string').sort();
  let out = `<${element.name}`;
  for (const name of names) {
    const raw = attrs[name] as string;
    const value = rewrite === undefined ? raw : rewrite.attribute(element, name, raw);
    if (value !== undefined) out += ` ${name}='${escapeAttr(value)}'`;
  }
  const children = element.children.filter((child) => typeof child !== 'string' || child.trim() !== '');
  if (children.length === 0) return `${out}/>`;
  out += '>';
  for (const child of children) out += typeof child === 'string' ? escapeText(child) : canonicalXml(child, rewrite);
  return `${out}</${element.name}>`;
}
