/** XML namespaces used on the wire, named as Prosody names them. */
export const xmlnsClient = 'jabber:client';
export const xmlnsStreams = 'http://etherx.jabber.org/streams';
export const xmlnsStreamErrors = 'urn:ietf:params:xml:ns:xmpp-streams';
export const xmlnsStanzaErrors = 'urn:ietf:params:xml:ns:xmpp-stanzas';
export const xmlnsSasl = 'urn:ietf:params:xml:ns:xmpp-sasl';
export const xmlnsBind = 'urn:ietf:params:xml:ns:xmpp-bind';
export const xmlnsSm2 = 'urn:xmpp:sm:2';
export const xmlnsSm3 = 'urn:xmpp:sm:3';
export const xmlnsDelay = 'urn:xmpp:delay';
export const xmlnsPing = 'urn:xmpp:ping';
export const xmlnsMam2 = 'urn:xmpp:mam:2';
export const xmlnsSid = 'urn:xmpp:sid:0';
export const xmlnsCsi = 'urn:xmpp:csi:0';

export function isSmNamespace(xmlns: string | undefined): xmlns is typeof xmlnsSm2 | typeof xmlnsSm3 {
  return xmlns === xmlnsSm3 || xmlns === xmlnsSm2;
}
