import { parse } from 'ltx';
import { describe, expect, it } from 'vitest';
import { canonicalXml } from '../../src/xmpp/canonical.js';
import { type Element, el } from '../../src/xmpp/stanza.js';

function xml(text: string): Element {
  return parse(text) as Element;
}

describe('canonicalXml', () => {
  it('sorts attributes by name and prints them in single quotes', () => {
    expect(canonicalXml(xml('<message type="chat" to="b@x" id="1" from="a@x"/>'))).toBe(
      "<message from='a@x' id='1' to='b@x' type='chat'/>",
    );
  });

  it('prints an element without children as self-closing, including one holding only whitespace', () => {
    expect(canonicalXml(xml("<r xmlns='urn:xmpp:sm:3'></r>"))).toBe("<r xmlns='urn:xmpp:sm:3'/>");
    expect(canonicalXml(xml("<presence>\n   \n</presence>"))).toBe('<presence/>');
  });

  it('drops whitespace between elements but keeps text content', () => {
    expect(canonicalXml(xml("<message id='m1'>\n  <body>hello world</body>\n</message>"))).toBe(
      "<message id='m1'><body>hello world</body></message>",
    );
  });

  it('escapes & < > in text and additionally quotes in attribute values', () => {
    const message = el('message', { id: `it's "x" & <y>` });
    message.c('body').t('a < b && c > d');
    expect(canonicalXml(message)).toBe(
      "<message id='it&apos;s &quot;x&quot; &amp; &lt;y&gt;'><body>a &lt; b &amp;&amp; c &gt; d</body></message>",
    );
  });

  it('prints the stream close marker as </stream:stream>', () => {
    expect(canonicalXml(el('stream:close'))).toBe('</stream:stream>');
  });

  it('lets the rewrite hook replace or drop attribute values', () => {
    const enabled = xml("<enabled xmlns='urn:xmpp:sm:3' id='f00ba4' resume='true' max='600'/>");
    const rewrite = {
      attribute: (element: Element, name: string, value: string): string | undefined =>
        name === 'id' ? 'SMID1' : name === 'max' ? undefined : value,
    };
    expect(canonicalXml(enabled, rewrite)).toBe("<enabled id='SMID1' resume='true' xmlns='urn:xmpp:sm:3'/>");
  });

  it('gives the same text for the same stanza written two different ways', () => {
    const a = xml("<message to='b@x' id='1'><body>hi</body></message>");
    const b = xml('<message id="1" to="b@x">  <body>hi</body>  </message>');
    expect(canonicalXml(a)).toBe(canonicalXml(b));
  });
});
