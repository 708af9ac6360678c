/**
 * What travels on a connection. The simulator models XML streams at the level of top-level elements
 * (what Prosody's xmppstream hands to its callbacks), not bytes: a frame is one element, the stream
 * header, the closing tag, a whitespace keepalive, or raw text a scripted client injects (parsed by
 * the receiver, so malformed XML is answered as Prosody answers it).
 */
import type { Element } from './stanza.js';

export type Frame = Element | StreamOpen | StreamClose | Whitespace | RawText;

export class StreamOpen {
  readonly kind = 'open';
  constructor(
    readonly to: string,
    /** Set on s2s streams: the originating domain. */
    readonly from?: string,
  ) {}
}
export class StreamClose {
  readonly kind = 'close';
}
export class Whitespace {
  readonly kind = 'whitespace';
}
export class RawText {
  readonly kind = 'raw';
  constructor(readonly text: string) {}
}

export const streamCloseFrame = new StreamClose();
export const whitespaceFrame = new Whitespace();

export function frameName(frame: Frame): string {
  if (frame instanceof StreamOpen) return 'stream:stream';
  if (frame instanceof StreamClose) return '/stream:stream';
  if (frame instanceof Whitespace) return 'whitespace';
  if (frame instanceof RawText) return 'raw';
  return frame.name;
}

export function isElementFrame(frame: Frame): frame is Element {
  return !(frame instanceof StreamOpen || frame instanceof StreamClose || frame instanceof Whitespace || frame instanceof RawText);
}
