/** Helpers for client-model tests: small populations run with their trace kept. */
import { readScenario } from '../../src/scenario/schema.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { type RunResult, World } from '../../src/world/world.js';

export interface PopulationRun extends RunResult {
  events_: TraceEvent[];
  world: World;
}

/**
 * Run one population group (`group` fields on top of two quiet `spec-ideal` clients on a wired path)
 * for `duration`; `setup` may schedule things on the world's engine before it runs.
 */
export function runGroup(group: Record<string, unknown>, options: { duration?: string; server?: Record<string, unknown>; seed?: number; setup?: (world: World) => void } = {}): PopulationRun {
  const document = {
    name: 'client-test',
    duration: options.duration ?? '1h',
    ...(options.server === undefined ? {} : { server: options.server }),
    population: { groups: [{ name: 'a', count: 2, ...('devices' in group ? {} : { model: 'spec-ideal', network: 'wired' }), messagesPerHour: 0, ...group }] },
  };
  const events: TraceEvent[] = [];
  const world = new World(readScenario('(test)', document), { seed: options.seed ?? 1, listeners: [(event) => events.push(event)] });
  options.setup?.(world);
  return { ...world.run(), events_: events, world };
}

/** Trace events of one type (and client, when given). */
export function eventsOf<T extends TraceEvent['type']>(events: readonly TraceEvent[], type: T, client?: string): Array<Extract<TraceEvent, { type: T }>> {
  return events.filter((event): event is Extract<TraceEvent, { type: T }> => event.type === type && (client === undefined || (event as { client?: string }).client === client));
}

/** Elements a client wrote, by name (the bind <iq/> of each login included). */
export function sentBy(events: readonly TraceEvent[], client: string, name: string): Array<Extract<TraceEvent, { type: 'client.send' }>> {
  return eventsOf(events, 'client.send', client).filter((event) => event.name === name);
}

/** Times a client went offline for `reason`. */
export function offlineTimes(events: readonly TraceEvent[], client: string, reason: string): number[] {
  return eventsOf(events, 'client.state', client).filter((event) => event.state === 'offline' && event.reason === reason).map((event) => event.t);
}

/** Stanzas a client wrote after binding: messages, presences, and iqs other than its binds. */
export function stanzasSent(events: readonly TraceEvent[], client: string): number {
  return ['message', 'presence', 'iq'].reduce((sum, name) => sum + sentBy(events, client, name).filter((event) => !event.id?.startsWith('bind')).length, 0);
}
