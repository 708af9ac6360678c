/**
 * ltx stanza builders and predicates (≈ util.stanza). Elements that crossed the wire are treated as
 * immutable: a receiver that needs to change one (the router stamping `from`) takes a shallow copy
 * first, the way a real receiver parses its own copy from bytes.
 */
import { Element, clone } from 'ltx';
import { xmlnsClient, xmlnsStanzaErrors, xmlnsStreamErrors } from './ns.js';

export { Element };

export function el(name: string, attrs?: Record<string, string | number | undefined>): Element {
  const clean: Record<string, string> = {};
  if (attrs !== undefined) {
    for (const key in attrs) {
      const value = attrs[key];
      if (value !== undefined) clean[key] = String(value);
    }
  }
  return new Element(name, clean);
}

/** util.stanza.clone: a deep copy. */
export function deepClone(element: Element): Element {
  return clone(element) as Element;
}

/** A copy with its own attribute table and the same children (cheap; for the router's stamps). */
export function shallowCopy(element: Element): Element {
  const copy = new Element(element.name, { ...element.attrs });
  copy.children = element.children;
  return copy;
}

export function attr(element: Element, name: string): string | undefined {
  const value = element.attrs[name] as unknown;
  return typeof value === 'string' ? value : undefined;
}

/** First child element with this name and namespace (namespace compared literally, as Prosody does). */
export function childNs(element: Element, name: string, xmlns: string): Element | undefined {
  for (const child of element.children) {
    if (typeof child !== 'string' && child.name === name && child.attrs.xmlns === xmlns) return child;
  }
  return undefined;
}

/** First child element in this namespace, any name. */
export function childInNs(element: Element, xmlns: string): Element | undefined {
  for (const child of element.children) {
    if (typeof child !== 'string' && child.attrs.xmlns === xmlns) return child;
  }
  return undefined;
}

/**
 * The stanza test of mod_smacks' outgoing_stanza_filter: a message/presence/iq in the client
 * namespace; stream features, stream errors and nonzas do not count.
 */
export function isCountableStanza(element: Element): boolean {
  const xmlns = element.attrs.xmlns as string | undefined;
  return (xmlns === undefined || xmlns === xmlnsClient) && element.name.indexOf(':') === -1;
}

/** Is this one of the three stanza kinds (what the router handles)? */
export function isStanzaName(name: string): boolean {
  return name === 'message' || name === 'presence' || name === 'iq';
}

/**
 * util.stanza error_reply(stanza, type, condition): swaps to/from, keeps name and id, drops the
 * payload, adds <error type><condition xmlns='…stanzas'/></error>.
 */
export function errorReply(stanza: Element, type: string, condition: string, text?: string): Element {
  const reply = el(stanza.name, { to: attr(stanza, 'from'), from: attr(stanza, 'to'), id: attr(stanza, 'id'), type: 'error' });
  const error = reply.c('error', { type });
  error.c(condition, { xmlns: xmlnsStanzaErrors });
  if (text !== undefined) error.c('text', { xmlns: xmlnsStanzaErrors }).t(text);
  return reply;
}

/** The condition of a stanza error, or undefined. */
export function errorCondition(stanza: Element): string | undefined {
  const error = stanza.getChild('error');
  if (error === undefined) return undefined;
  for (const child of error.children) {
    if (typeof child !== 'string' && child.name !== 'text') return child.name;
  }
  return undefined;
}

/** <stream:error><condition/><text/></stream:error> (mod_c2s session_close with a reason table). */
export function streamError(condition: string, text?: string): Element {
  const error = el('stream:error');
  error.c(condition, { xmlns: xmlnsStreamErrors });
  if (text !== undefined) error.c('text', { xmlns: xmlnsStreamErrors }).t(text);
  return error;
}

/** Approximate serialized size in bytes, without serializing (for queue memory figures). */
export function approxBytes(element: Element): number {
  let bytes = 2 * element.name.length + 5;
  const attrs = element.attrs as Record<string, unknown>;
  for (const key in attrs) {
    const value = attrs[key];
    if (typeof value === 'string') bytes += key.length + value.length + 4;
  }
  for (const child of element.children) {
    bytes += typeof child === 'string' ? child.length : approxBytes(child);
  }
  return bytes;
}

/** Lua tonumber() as Prosody applies it to `h`: decimal, hex, exponent, surrounding spaces. */
export function luaToNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (/^[-+]?0[xX][0-9a-fA-F]+$/.test(trimmed)) return Number.parseInt(trimmed, 16);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}
