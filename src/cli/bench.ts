/**
 * `npm run bench`: figures, not tests. Prints engine events/s, end-to-end stanzas/s and the ratio of
 * virtual to wall time for the built-in default scenario and for 1,000 clients × 24 virtual hours,
 * the wall time and peak heap of 10,000 clients × 1 virtual hour (one preset, then a mix of presets
 * and networks), plus the memory one queued stanza costs on the server.
 */
import { Engine } from '../engine/engine.js';
import { defaultScenarioDocument } from '../scenario/default.js';
import { readScenario } from '../scenario/schema.js';
import { SmQueue } from '../smacks/smqueue.js';
import type { TraceEvent } from '../trace/events.js';
import { runScenario } from '../world/world.js';
import { approxBytes, deepClone, el } from '../xmpp/stanza.js';

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
}

function benchEngine(): void {
  const engine = new Engine();
  const total = 5_000_000;
  let fired = 0;
  const tick = (): void => {
    fired++;
    if (fired < total) engine.after(fired % 7, tick);
  };
  for (let index = 0; index < 1000; index++) engine.after(index % 13, tick);
  const startedAt = performance.now();
  engine.runUntil(Number.MAX_SAFE_INTEGER);
  const wallMs = performance.now() - startedAt;
  console.log(`engine: ${engine.eventsFired.toLocaleString('en-US')} events in ${wallMs.toFixed(0)} ms = ${rate(engine.eventsFired, wallMs)}`);
}

function benchScenario(label: string, document: object): void {
  const scenario = readScenario(label, document);
  let stanzas = 0;
  const countStanzas = (event: TraceEvent): void => {
    if (event.type === 'client.recv' && (event.name === 'message' || event.name === 'presence' || event.name === 'iq')) stanzas++;
  };
  const startedAt = performance.now();
  const result = runScenario(scenario, { seed: 1, listeners: [countStanzas] });
  const wallMs = performance.now() - startedAt;
  console.log(
    `${label}: ${(wallMs / 1000).toFixed(2)} s wall for ${(result.virtualTimeMs / 3_600_000).toFixed(1)} h virtual ` +
      `(×${Math.round(result.virtualTimeMs / wallMs).toLocaleString('en-US')}); ` +
      `${result.events.toLocaleString('en-US')} engine events = ${rate(result.events, wallMs)}; ` +
      `${stanzas.toLocaleString('en-US')} stanzas delivered to clients = ${rate(stanzas, wallMs)}; ` +
      `${result.messages.sent.toLocaleString('en-US')} messages, lost ${result.messages.lost}, duplicated ${result.messages.duplicated}`,
  );
}

/**
 * A large population: wall time, and the heap at its highest (sampled every 100,000 trace events, and
 * at the end, above the heap before the scenario was built).
 */
function benchScale(label: string, document: object): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  let traceEvents = 0;
  const sample = (): void => {
    if (++traceEvents % 100_000 !== 0) return;
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  };
  const startedAt = performance.now();
  const result = runScenario(readScenario(label, document), { seed: 1, listeners: [sample] });
  const wallMs = performance.now() - startedAt;
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;
  console.log(
    `${label}: ${(wallMs / 1000).toFixed(1)} s wall, peak heap ${mib(heapPeak - heapBefore)} above the start ` +
      `(${Math.round((heapPeak - heapBefore) / result.clients.model).toLocaleString('en-US')} bytes per client; rss ${mib(process.memoryUsage().rss)}); ` +
      `${result.events.toLocaleString('en-US')} engine events, ${result.messages.sent.toLocaleString('en-US')} messages, lost ${result.messages.lost}, settled ${result.settled}`,
  );
}

function benchQueueMemory(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    console.log('queue memory: run with node --expose-gc for this figure');
    return;
  }
  const sessions = 200;
  const perSession = 500;
  const template = el('message', { from: 'alice@localhost/phone', to: 'bob@localhost/laptop', type: 'chat', id: 'msg-000000' });
  template.c('body').t('a typical short chat message, about sixty characters long.');
  gc();
  const before = process.memoryUsage().heapUsed;
  const queues: SmQueue<{ stanza: ReturnType<typeof el>; bytes: number }>[] = [];
  for (let session = 0; session < sessions; session++) {
    const queue = new SmQueue<{ stanza: ReturnType<typeof el>; bytes: number }>(perSession);
    for (let index = 0; index < perSession; index++) {
      const copy = deepClone(template);
      copy.attrs.id = `msg-${session}-${index}`;
      copy.c('delay', { xmlns: 'urn:xmpp:delay', from: 'bob@localhost', stamp: '2026-01-01T00:00:00Z' });
      queue.push({ stanza: copy, bytes: approxBytes(copy) });
    }
    queues.push(queue);
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  const count = sessions * perSession;
  console.log(`queue memory: ${count.toLocaleString('en-US')} queued stanzas cost ${((after - before) / count).toFixed(0)} bytes each (heap delta, ${queues.length} queues)`);
}

benchEngine();
benchScenario('default scenario', defaultScenarioDocument);
benchScenario('1,000 clients × 24 h', {
  name: 'bench-1000x24h',
  duration: '1d',
  population: { groups: [{ name: 'u', count: 1000, model: 'mobile', network: 'lossy-mobile', messagesPerHour: 6 }] },
});
benchScenario('throughput (50 clients × 10 msg/s, wired, 10 min)', {
  name: 'bench-throughput',
  duration: '10m',
  population: { groups: [{ name: 't', count: 50, model: 'mobile', network: 'wired', messagesPerHour: 36_000 }] },
});
benchScale('10,000 clients × 1 h, mobile, lossy-mobile', {
  name: 'bench-10000x1h',
  duration: '1h',
  population: { groups: [{ name: 'u', count: 10_000, model: 'mobile', network: 'lossy-mobile', messagesPerHour: 6 }] },
});
benchScale('10,000 clients × 1 h, a mix of presets and networks', {
  name: 'bench-10000x1h-mix',
  duration: '1h',
  server: { cloud_notify: true },
  population: {
    groups: [
      { name: 'conv', count: 4000, model: 'conversations', network: 'lte-good', messagesPerHour: 6, traffic: { diurnal: true, presencePerHour: 1 } },
      { name: 'monal', count: 2000, model: 'monal', network: 'ios-suspend', messagesPerHour: 6 },
      { name: 'desk', count: 2000, model: 'gajim', network: 'wifi-home', messagesPerHour: 6, traffic: { pingsPerHour: 1 } },
      { name: 'web', count: 2000, model: 'xmppjs', network: 'browser-hidden', messagesPerHour: 6 },
    ],
  },
});
benchQueueMemory();
