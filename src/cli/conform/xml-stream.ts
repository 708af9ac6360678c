/**
 * The XML stream on a real TCP connection: bytes from the server become the simulator's frames
 * (stream header, top-level elements, stream close), and the client's frames become bytes. Parsing
 * uses ltx's streaming SAX parser (the one behind ltx.Parser), so elements are the same ltx
 * `Element`s the simulated client receives.
 */
import { XmlStreamParser } from '../../xmpp/stream-parser.js';
import { type Frame, RawText, StreamClose, StreamOpen, Whitespace } from '../../xmpp/wire.js';

/** The bytes a frame from the client becomes on the wire. */
export function serializeFrame(frame: Frame): string {
  if (frame instanceof StreamOpen) {
    return `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${frame.to}' version='1.0'>`;
  }
  if (frame instanceof StreamClose) return '</stream:stream>';
  if (frame instanceof Whitespace) return ' ';
  if (frame instanceof RawText) return frame.text;
  return frame.toString();
}

/** The server's side of a real stream (the conformance runner's client reads it). */
export class StreamParser extends XmlStreamParser {
  constructor(onFrame: (frame: Frame) => void, onError: (error: Error) => void) {
    super(onFrame, onError, { headerDomain: 'from', acceptsInlineRestart: false });
  }
}
