import { describe, expect, it } from 'vitest';
import { StreamParser, serializeFrame } from '../../src/cli/conform/xml-stream.js';
import { canonicalXml } from '../../src/xmpp/canonical.js';
import { el } from '../../src/xmpp/stanza.js';
import { type Frame, RawText, StreamClose, StreamOpen, frameName } from '../../src/xmpp/wire.js';

function parse(chunks: string[], restartAfter?: number): Frame[] {
  const frames: Frame[] = [];
  const parser = new StreamParser(
    (frame) => frames.push(frame),
    (error) => {
      throw error;
    },
  );
  chunks.forEach((chunk, index) => {
    parser.write(chunk);
    if (index === restartAfter) parser.reset();
  });
  return frames;
}

const header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' from='localhost' xmlns:stream='http://etherx.jabber.org/streams' id='x' version='1.0' xml:lang='en'>`;

describe('StreamParser (the server side of a real XML stream)', () => {
  it('yields the header, each top-level element, whitespace and the close, however the bytes are split', () => {
    const text = `${header}<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features> <message id='m1'><body>a &amp; b</body></message></stream:stream>`;
    const whole = parse([text]);
    const bytewise = parse([...text]);
    expect(whole.map(frameName)).toEqual(['stream:stream', 'stream:features', 'whitespace', 'message', '/stream:stream']);
    expect(bytewise.map(frameName)).toEqual(whole.map(frameName));
    expect(whole[0]).toBeInstanceOf(StreamOpen);
    expect(whole[4]).toBeInstanceOf(StreamClose);
    const message = bytewise[3] as ReturnType<typeof el>;
    expect(canonicalXml(message)).toBe("<message id='m1'><body>a &amp; b</body></message>");
    expect(message.getChild('body')!.children).toEqual(['a & b']);
  });

  it('starts a new document after reset (the stream restart after SASL)', () => {
    const frames = parse([`${header}<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`, `${header}<stream:features/>`], 0);
    expect(frames.map(frameName)).toEqual(['stream:stream', 'success', 'stream:stream', 'stream:features']);
  });
});

describe('serializeFrame (the client side)', () => {
  it('writes a stream header with to, elements as XML, a close and raw text as is', () => {
    expect(serializeFrame(new StreamOpen('localhost'))).toBe(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>",
    );
    expect(serializeFrame(el('r', { xmlns: 'urn:xmpp:sm:3' }))).toBe('<r xmlns="urn:xmpp:sm:3"/>');
    expect(serializeFrame(new StreamClose())).toBe('</stream:stream>');
    expect(serializeFrame(new RawText('<a h="x"'))).toBe('<a h="x"');
  });
});
