/**
 * The `wire` report: for each scripted client, the elements it received as canonical XML, with
 * volatile values replaced so that two runs (or smacksim and a real Prosody) can be compared
 * line by line:
 * - SM resumption ids (`<enabled id>`, `previd`) → `SMID1`, `SMID2`, … in order of appearance;
 * - `<delay stamp>` dropped (the element and its `from` stay);
 * - `id` attributes that no client of the run sent (server-generated) → `SRV1`, `SRV2`, …;
 * - a server-chosen resource in a JID → `RES1`, ….
 */
import { canonicalXml } from '../xmpp/canonical.js';
import type { Element } from '../xmpp/stanza.js';

export function normalizeWire(received: readonly Element[], clientIds: ReadonlySet<string>, fixedResources: ReadonlySet<string>): string[] {
  const smIds = new Map<string, string>();
  const serverIds = new Map<string, string>();
  const resources = new Map<string, string>();
  const placeholder = (map: Map<string, string>, prefix: string, value: string): string => {
    let name = map.get(value);
    if (name === undefined) {
      name = `${prefix}${map.size + 1}`;
      map.set(value, name);
    }
    return name;
  };
  const rewriteJid = (jid: string): string => {
    const slash = jid.indexOf('/');
    if (slash === -1) return jid;
    const resource = jid.slice(slash + 1);
    if (fixedResources.has(resource)) return jid;
    return `${jid.slice(0, slash)}/${placeholder(resources, 'RES', resource)}`;
  };
  const rewrite = {
    attribute(element: Element, name: string, value: string): string | undefined {
      const xmlns = element.attrs.xmlns as string | undefined;
      const isSm = xmlns === 'urn:xmpp:sm:3' || xmlns === 'urn:xmpp:sm:2';
      if (isSm && (name === 'previd' || (name === 'id' && element.name === 'enabled'))) return placeholder(smIds, 'SMID', value);
      if (name === 'stamp' && element.name === 'delay') return undefined;
      if (name === 'id' && !isSm && !clientIds.has(value)) return placeholder(serverIds, 'SRV', value);
      if (name === 'to' || name === 'from') return rewriteJid(value);
      return value;
    },
  };
  return received.map((element) => canonicalXml(element, rewrite));
}
