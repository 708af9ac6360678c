/** The xmppjs-real transport's byte side: xmpp.js's text into frames, server frames into text. */
import { describe, expect, it } from 'vitest';
import { ClientStreamParser, serverFrameText } from '../../../src/clients/xmppjs/xml-frames.js';
import { el } from '../../../src/xmpp/stanza.js';
import { type Frame, StreamClose, StreamOpen, Whitespace, frameName, isElementFrame } from '../../../src/xmpp/wire.js';

function parseAll(chunks: string[]): string[] {
  const frames: Frame[] = [];
  const parser = new ClientStreamParser(
    (frame) => frames.push(frame),
    (error) => {
      throw error;
    },
  );
  for (const chunk of chunks) parser.write(chunk);
  return frames.map((frame) => (frame instanceof StreamOpen ? `open to=${frame.to}` : isElementFrame(frame) ? frame.toString() : frameName(frame)));
}

describe('ClientStreamParser (what xmpp.js writes)', () => {
  it('reads the header, elements, a stream restart after SASL and the footer', () => {
    expect(
      parseAll([
        `<?xml version='1.0'?><stream:stream to="localhost" version="1.0" xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" from="js1@localhost">`,
        `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">AGpzMQBqczFwYXNz</auth>`,
        `<?xml version='1.0'?><stream:stream to="localhost" version="1.0" xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams">`,
        `<message to="bob@localhost" type="chat" id="js1-1"><body>a &amp; b</body></message><r xmlns="urn:xmpp:sm:3"/>`,
        `</stream:stream>`,
      ]),
    ).toEqual([
      'open to=localhost',
      '<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">AGpzMQBqczFwYXNz</auth>',
      'open to=localhost',
      '<message to="bob@localhost" type="chat" id="js1-1"><body>a &amp; b</body></message>',
      '<r xmlns="urn:xmpp:sm:3"/>',
      '/stream:stream',
    ]);
  });

  it('keeps an element split across writes whole', () => {
    expect(parseAll([`<stream:stream to="h">`, `<message id="m"><bo`, `dy>hi</body></mess`, `age>`])).toEqual(['open to=h', '<message id="m"><body>hi</body></message>']);
  });
});

describe('serverFrameText (what xmpp.js reads)', () => {
  it('writes a Prosody stream header with both namespaces', () => {
    expect(serverFrameText(new StreamOpen('localhost'), '3-1')).toBe(
      "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' id='3-1' version='1.0' from='localhost' xmlns='jabber:client'>",
    );
  });

  it('writes elements, the footer and whitespace as text', () => {
    expect(serverFrameText(el('a', { xmlns: 'urn:xmpp:sm:3', h: 2 }), 'x')).toBe('<a xmlns="urn:xmpp:sm:3" h="2"/>');
    expect(serverFrameText(new StreamClose(), 'x')).toBe('</stream:stream>');
    expect(serverFrameText(new Whitespace(), 'x')).toBe(' ');
  });
});
