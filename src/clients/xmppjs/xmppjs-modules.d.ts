/**
 * Types for the parts of xmpp.js 0.14 (`@xmpp/client`, untyped JavaScript) that the `xmppjs-real`
 * model touches. Only what we call or read is declared; shapes follow the package sources
 * (node_modules/@xmpp/client/index.js, connection/index.js, stream-management/index.js).
 */
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from 'ltx';

  export type XmppjsStatus =
    | 'offline'
    | 'connecting'
    | 'connect'
    | 'opening'
    | 'open'
    | 'online'
    | 'closing'
    | 'close'
    | 'disconnecting'
    | 'disconnect';

  /**
   * A transport class (a subclass of @xmpp/connection's Connection); xmpp.js uses only its prototype
   * (`Socket`, `Parser`, `socketParameters(service)`, `header`, `footer`, …).
   */
  export interface TransportClass {
    new (...args: never[]): object;
    prototype: object;
  }

  /** The `sm` object of @xmpp/stream-management: an EventEmitter with its state as properties. */
  export interface StreamManagement extends EventEmitter {
    enabled: boolean;
    enableSent: boolean;
    id: string;
    outbound_q: Array<{ stanza: Element; stamp: string }>;
    outbound: number;
    inbound: number;
    max: string | null;
    preferredMaximum: number | null;
    timeout: number;
    requestAckInterval: number;
    requestAckDebounce: number;
  }

  export interface Reconnect extends EventEmitter {
    delay: number;
    start(): void;
    stop(): void;
  }

  /** @xmpp/iq caller: `request` sends an iq (an id from @xmpp/id if it has none) and awaits the reply. */
  export interface IqCaller {
    request(stanza: Element, timeoutMs?: number): Promise<Element>;
  }

  export interface XmppjsClient extends EventEmitter {
    status: XmppjsStatus;
    jid: { toString(): string } | null;
    transports: TransportClass[];
    streamManagement: StreamManagement;
    reconnect: Reconnect;
    iqCaller: IqCaller;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(element: Element): Promise<void>;
  }

  export interface ClientOptions {
    service: string;
    domain: string;
    username: string;
    password: string;
    resource?: string;
    userAgent?: Element;
  }

  export function client(options: ClientOptions): XmppjsClient;
  export function xml(name: string, attrs?: Record<string, string | number | undefined> | null, ...children: Array<Element | string>): Element;
}
