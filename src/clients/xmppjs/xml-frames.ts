/**
 * The byte side of the `xmppjs-real` transport: xmpp.js writes and reads XML text, the simulated
 * network carries frames (xmpp/wire.ts). Text from xmpp.js is parsed into frames with ltx's streaming
 * SAX parser (the one @xmpp/xml itself uses); frames toward xmpp.js are written as the text Prosody
 * would send.
 */
import { XmlStreamParser } from '../../xmpp/stream-parser.js';
import { type Frame, RawText, StreamClose, StreamOpen, Whitespace } from '../../xmpp/wire.js';

/**
 * The client's side of an XML stream, as xmpp.js writes it: `<?xml version='1.0'?><stream:stream …>`
 * opens, top-level elements follow, `</stream:stream>` closes; the stream restart after SASL success
 * arrives inline and becomes a StreamOpen.
 */
export class ClientStreamParser extends XmlStreamParser {
  constructor(onFrame: (frame: Frame) => void, onError: (error: Error) => void) {
    super(onFrame, onError, { headerDomain: 'to', acceptsInlineRestart: true });
  }
}

/**
 * The text of a frame from the server. A stream header is Prosody's (mod_c2s stream_callbacks
 * streamopened: `id`, `from`, `version`, `xml:lang`, both namespaces); `streamId` stands in for its
 * random stream id.
 */
export function serverFrameText(frame: Frame, streamId: string): string {
  if (frame instanceof StreamOpen) {
    return `<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' id='${streamId}' version='1.0' from='${frame.to}' xmlns='jabber:client'>`;
  }
  if (frame instanceof StreamClose) return '</stream:stream>';
  if (frame instanceof Whitespace) return ' ';
  if (frame instanceof RawText) return frame.text;
  return frame.toString();
}
