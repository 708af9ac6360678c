/**
 * The XML stream on a real TCP connection: bytes from the server become the simulator's frames
 * (stream header, top-level elements, stream close), and the client's frames become bytes. Parsing
 * uses ltx's streaming SAX parser (the one behind ltx.Parser), so elements are the same ltx
 * `Element`s the simulated client receives.
 */
import type { EventEmitter } from 'node:events';
import { Element, Parser } from 'ltx';
import { type Frame, RawText, StreamClose, StreamOpen, Whitespace } from '../../xmpp/wire.js';

interface Sax extends EventEmitter {
  write(data: string): void;
}

/** ltx.Parser's default SAX parser class (a runtime property of its prototype). */
const SaxParser = (Parser.prototype as unknown as { DefaultParser: new () => Sax }).DefaultParser;

export const streamHeaderName = 'stream:stream';

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

/**
 * Incremental parser of the server's side of an XML stream. Call `reset()` when the client opens a
 * new stream (after SASL), as the server starts a new document then.
 */
export class StreamParser {
  private sax!: Sax;
  private depth = 0;
  private current: Element | undefined;
  private failed = false;
  /** A chunk's trailing '?', held for the next one (see write). */
  private heldBack = '';

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.reset();
  }

  reset(): void {
    this.sax = new SaxParser();
    this.depth = 0;
    this.current = undefined;
    this.heldBack = '';
    this.sax.on('startElement', (name: string, attrs: Record<string, string>) => this.start(name, attrs));
    this.sax.on('endElement', (name: string) => this.end(name));
    this.sax.on('text', (text: string) => this.text(text));
    this.sax.on('error', (error: Error) => {
      this.failed = true;
      this.onError(error);
    });
  }

  write(data: string): void {
    if (this.failed) return;
    // ltx's SAX parser loses the rest of the document when a chunk ends between the '?' and the '>'
    // of the XML declaration, so a trailing '?' waits for the next chunk (an element never ends
    // with one, so nothing complete is held back).
    let text = this.heldBack + data;
    this.heldBack = '';
    if (text.endsWith('?')) {
      this.heldBack = '?';
      text = text.slice(0, -1);
    }
    this.sax.write(text);
  }

  private start(name: string, attrs: Record<string, string>): void {
    if (this.depth === 0) {
      this.depth = 1;
      if (name === streamHeaderName) this.onFrame(new StreamOpen(attrs.from ?? ''));
      else this.onError(new Error(`expected a stream header, got <${name}>`));
      return;
    }
    const element = new Element(name, { ...attrs });
    if (this.current === undefined) this.current = element;
    else this.current = this.current.cnode(element);
    this.depth++;
  }

  private end(name: string): void {
    if (this.depth === 1) {
      this.depth = 0;
      if (name === streamHeaderName) this.onFrame(new StreamClose());
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
    // One text node per run of character data, however the bytes were split.
    const last = element.children[element.children.length - 1];
    if (typeof last === 'string') element.children[element.children.length - 1] = last + text;
    else element.children.push(text);
  }
}
