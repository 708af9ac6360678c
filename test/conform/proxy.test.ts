/** The fault proxy on real loopback sockets, in front of an upstream that echoes in upper case. */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../src/cli/conform/proxy.js';

let upstream: net.Server;
let upstreamPort = 0;

beforeAll(async () => {
  upstream = net.createServer((socket) => {
    socket.on('data', (data) => socket.write(data.toString().toUpperCase()));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
  upstreamPort = (upstream.address() as net.AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Client {
  socket: net.Socket;
  received: () => string;
  events: string[];
}

async function connect(proxy: FaultProxy): Promise<Client> {
  const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
  let text = '';
  const events: string[] = [];
  socket.on('data', (data) => (text += data.toString()));
  socket.on('end', () => events.push('end'));
  socket.on('error', (error: NodeJS.ErrnoException) => events.push(error.code ?? 'error'));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => text, events };
}

async function withProxy(test: (proxy: FaultProxy) => Promise<void>): Promise<void> {
  const proxy = new FaultProxy('bob', upstreamPort, 0);
  await proxy.listen();
  try {
    await test(proxy);
  } finally {
    await proxy.close();
  }
}

describe('FaultProxy', () => {
  it('carries bytes both ways', () =>
    withProxy(async (proxy) => {
      const client = await connect(proxy);
      client.socket.write('hello');
      await sleep(50);
      expect(client.received()).toBe('HELLO');
    }));

  it('outage: holds bytes both ways and delivers them in order after heal', () =>
    withProxy(async (proxy) => {
      const client = await connect(proxy);
      proxy.apply('outage');
      expect(proxy.isOpenForNewConnections).toBe(false);
      client.socket.write('one ');
      await sleep(20);
      client.socket.write('two');
      await sleep(50);
      expect(client.received()).toBe('');
      proxy.apply('heal');
      await sleep(50);
      expect(client.received()).toBe('ONE TWO');
    }));

  it('freeze: holds only what goes toward the client', () =>
    withProxy(async (proxy) => {
      const client = await connect(proxy);
      proxy.apply('freeze');
      client.socket.write('ping');
      await sleep(50);
      expect(client.received()).toBe('');
      proxy.apply('heal');
      await sleep(50);
      expect(client.received()).toBe('PING');
    }));

  it('blackhole: drops everything for good, tells nobody, and refuses new connections until heal', () =>
    withProxy(async (proxy) => {
      const client = await connect(proxy);
      proxy.apply('blackhole');
      client.socket.write('lost');
      await sleep(50);
      expect(proxy.isOpenForNewConnections).toBe(false);
      expect(proxy.orphanCount()).toBe(1);
      proxy.apply('heal');
      client.socket.write('still lost');
      await sleep(50);
      expect(client.received()).toBe('');
      expect(client.events).toEqual([]);
      expect(proxy.isOpenForNewConnections).toBe(true);
    }));

  it('reset: the client sees ECONNRESET', () =>
    withProxy(async (proxy) => {
      const client = await connect(proxy);
      await sleep(20);
      proxy.apply('reset');
      await sleep(50);
      expect(client.events).toContain('ECONNRESET');
    }));

  it('delay: adds the delay each way without reordering', () =>
    withProxy(async (proxy) => {
      const client = await connect(proxy);
      proxy.apply('delay', 100);
      const startedAt = performance.now();
      client.socket.write('a');
      client.socket.write('b');
      while (client.received().length < 2) await sleep(5);
      expect(client.received()).toBe('AB');
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(195);
    }));
});
