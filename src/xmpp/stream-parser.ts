/**
 * An XML stream read incrementally into the simulator's frames (xmpp/wire.ts): the stream header,
 * each top-level element as an ltx `Element`, whitespace between them, and the stream close. It uses
 * ltx's streaming SAX parser (the one behind ltx.Parser and @xmpp/xml), so elements are the same ltx
 * objects the simulated peers exchange. Used where real XML text meets the simulator: the conformance
 * runner's sockets (the server's side of a stream) and the real xmpp.js client's virtual socket (the
 * client's side).
 */
import type { EventEmitter } from 'node:events';
import { Element, Parser } from 'ltx';
import { type Frame, StreamClose, StreamOpen, Whitespace } from './wire.js';

interface Sax extends EventEmitter {
  write(data: string): void;
}

/** ltx.Parser's default SAX parser class (a runtime property of its prototype). */
const SaxParser = (Parser.prototype as unknown as { DefaultParser: new () => Sax }).DefaultParser;

export const streamHeaderName = 'stream:stream';

export interface StreamParserOptions {
  /** The header attribute that names the domain of the StreamOpen frame: `from` on a server's stream, `to` on a client's. */
  headerDomain: 'from' | 'to';
  /**
   * A client restarts its stream after SASL success by writing a new header on the same connection
   * (RFC 6120 §6.4.6): it arrives where a top-level element would, and becomes a StreamOpen.
   */
  acceptsInlineRestart: boolean;
}

export class XmlStreamParser {
  private sax!: Sax;
  private depth = 0;
  private current: Element | undefined;
  private isFailed = false;
  /** A chunk's trailing '?', held for the next one (see write). */
  private heldBack = '';

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly onError: (error: Error) => void,
    private readonly options: StreamParserOptions,
  ) {
    this.reset();
  }

  /** A new document on the same connection (the server's answer to a stream restart). */
  reset(): void {
    this.sax = new SaxParser();
    this.depth = 0;
    this.current = undefined;
    this.heldBack = '';
    this.sax.on('startElement', (name: string, attrs: Record<string, string>) => this.start(name, attrs));
    this.sax.on('endElement', (name: string) => this.end(name));
    this.sax.on('text', (text: string) => this.text(text));
    this.sax.on('error', (error: Error) => this.fail(error));
  }

  write(data: string): void {
    if (this.isFailed) return;
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

  private fail(error: Error): void {
    this.isFailed = true;
    this.onError(error);
  }

  private start(name: string, attrs: Record<string, string>): void {
    const isRestart = this.options.acceptsInlineRestart && this.depth === 1 && this.current === undefined && name === streamHeaderName;
    if (this.depth === 0 || isRestart) {
      if (name !== streamHeaderName) {
        this.fail(new Error(`expected a stream header, got <${name}>`));
        return;
      }
      this.depth = 1;
      this.onFrame(new StreamOpen(attrs[this.options.headerDomain] ?? ''));
      return;
    }
    const element = new Element(name, { ...attrs });
    this.current = this.current === undefined ? element : this.current.cnode(element);
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
