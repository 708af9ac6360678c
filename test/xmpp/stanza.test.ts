import { parse } from 'ltx';
import { describe, expect, it } from 'vitest';
import { canonicalXml } from '../../src/xmpp/canonical.js';
import { type Element, errorCondition, errorReply, luaToNumber } from '../../src/xmpp/stanza.js';

function xml(text: string): Element {
  return parse(text) as Element;
}

describe('luaToNumber (Lua tonumber, as Prosody reads h)', () => {
  it.each([
    ['12', 12],
    [' 12 ', 12],
    ['\t12\n', 12],
    ['1e1', 10],
    ['0x0C', 12],
    ['0X0c', 12],
    ['12.5', 12.5],
    ['12.', 12],
    ['.5', 0.5],
    ['-3', -3],
    ['+3', 3],
    ['0', 0],
  ])('accepts %j as %d', (text, expected) => {
    expect(luaToNumber(text)).toBe(expected);
  });

  it.each([[''], ['   '], ['abc'], ['12abc'], ['1 2'], ['0x'], ['1e'], ['inf'], ['nan'], ['Infinity']])('rejects %j', (text) => {
    expect(luaToNumber(text)).toBeUndefined();
  });

  it('rejects a missing attribute (undefined)', () => {
    expect(luaToNumber(undefined)).toBeUndefined();
  });
});

describe('errorReply (util.stanza error_reply)', () => {
  const message = xml(
    "<message to='bob@localhost/laptop' from='alice@localhost/phone' id='m1' type='chat'><body>hi</body></message>",
  );

  it('swaps to and from, keeps the id, drops the payload, and carries the condition in the stanzas namespace', () => {
    expect(canonicalXml(errorReply(message, 'cancel', 'service-unavailable'))).toBe(
      "<message from='bob@localhost/laptop' id='m1' to='alice@localhost/phone' type='error'>" +
        "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    );
  });

  it('adds a <text/> in the stanzas namespace when given one', () => {
    expect(canonicalXml(errorReply(message, 'wait', 'recipient-unavailable', 'Session hibernation expired'))).toBe(
      "<message from='bob@localhost/laptop' id='m1' to='alice@localhost/phone' type='error'>" +
        "<error type='wait'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>" +
        "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Session hibernation expired</text></error></message>",
    );
  });

  it('keeps the stanza kind and leaves out addresses the original did not have', () => {
    const iq = xml("<iq type='get' id='q1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    expect(canonicalXml(errorReply(iq, 'cancel', 'feature-not-implemented'))).toBe(
      "<iq from='localhost' id='q1' type='error'>" +
        "<error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    );
  });

  it('does not modify the original stanza', () => {
    errorReply(message, 'cancel', 'service-unavailable');
    expect(canonicalXml(message)).toBe(
      "<message from='alice@localhost/phone' id='m1' to='bob@localhost/laptop' type='chat'><body>hi</body></message>",
    );
  });

  it('errorCondition reads the condition back, skipping <text/>', () => {
    expect(errorCondition(errorReply(message, 'wait', 'recipient-unavailable', 'gone'))).toBe('recipient-unavailable');
    expect(errorCondition(message)).toBeUndefined();
  });
});
