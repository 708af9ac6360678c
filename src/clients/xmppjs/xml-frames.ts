/**
 * The byte side of the `xmppjs-real` transport: xmpp.js writes and reads XML text, the simulated
 * network carries frames (xmpp/wire.ts). Text from xmpp.js is parsed into frames with ltx's streaming
 * SAX parser (the one @xmpp/xml itself uses); frames toward xmpp.js are written as the text Prosody
 * would send.
 */
import type { EventEmitter } from 'node:events';
import { Element, Parser } from 'ltx';
import { type Frame, RawText, StreamClose, StreamOpen, Whitespace } from '../../xmpp/wire.js';

interface Sax extends EventEmitter {
  write(data: string): void;
}

/** ltx.Parser's default SAX parser class (a runtime property of its prototype). */
const SaxParser = (Parser.prototype as unknown as { DefaultParser: new () => Sax }).DefaultParser;

const streamName = 'stream:stream';

/**
 * The client's side of an XML stream, as xmpp.js writes it: `<?xml version='1.0'?><stream:stream …>`
 * opens, top-level elements follow, `</stream:stream>` closes. After SASL success xmpp.js writes a new
 * header on the same connection without closing the old one (a stream restart, RFC 6120 §6.4.6); it
 * arrives as a `stream:stream` start where a top-level element would be, and becomes a StreamOpen.
 */
export class ClientStreamParser {
  private readonly sax: Sax;
  private depth = 0;
  private current: Element | undefined;
  private isFailed = false;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.sax = new SaxParser();
    this.sax.on('startElement', (name: string, attrs: Record<string, string>) => this.start(name, attrs));
    this.sax.on('endElement', (name: string) => this.end(name));
    this.sax.on('text', (text: string) => this.text(text));
    this.sax.on('error', (error: Error) => this.fail(error));
  }

  write(text: string): void {
    if (!this.isFailed) this.sax.write(text);
  }

  private fail(error: Error): void {
    this.isFailed = true;
    this.onError(error);
  }

  private start(name: string, attrs: Record<string, string>): void {
    if (this.depth === 0 || (this.depth === 1 && this.current === undefined && name === streamName)) {
      if (name !== streamName) {
        this.fail(new Error(`expected a stream header, got <${name}>`));
        return;
      }
      this.depth = 1;
      this.onFrame(new StreamOpen(attrs.to ?? ''));
      return;
    }
    const element = new Element(name, { ...attrs });
    this.current = this.current === undefined ? element : this.current.cnode(element);
    this.depth++;
  }

  private end(name: string): void {
    if (this.depth === 1) {
      this.depth = 0;
      if (name === streamName) this.onFrame(new StreamClose());
      return;
    }
    this.depth--;
    const element = this.current!;
    if (this.depth === 1) {
      this.current = undefined;
      this.onFrame(element);
    } else {
      this.current = element.parent as Element;
    }
  }

  private text(text: string): void {
    const element = this.current;
    if (element === undefined) {
      if (this.depth === 1 && text.trim() === '') this.onFrame(new Whitespace());
      return;
    }
    const last = element.children[element.children.length - 1];
    if (typeof last === 'string') element.children[element.children.length - 1] = last + text;
    else element.children.push(text);
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
