/**
 * Helpers for the mod_smacks scenario tests: a two-user scenario document (Alice on her phone, Bob on
 * his laptop, loopback network), steps in the scenario format, and runs of one document under either
 * variant.
 */
import { readScenario } from '../../src/scenario/schema.js';
import type { Settings } from '../../src/scenario/settings.js';
import type { SmacksVariant } from '../../src/smacks/options.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { World } from '../../src/world/world.js';
import { type RunOutput, run } from '../helpers.js';

export const core: SmacksVariant = 'core-0.12';
export const community: SmacksVariant = 'community';

/** Alice (phone) and Bob (laptop); `bob` adds fields to Bob's client (e.g. `ack: 'none'`). */
export function twoUsers(script: object[], server: Partial<Settings> = {}, bob: object = {}): object {
  return {
    name: 'two-users',
    server,
    accounts: ['alice', 'bob'],
    clients: { alice: { account: 'alice', resource: 'phone' }, bob: { account: 'bob', resource: 'laptop', ...bob } },
    script,
  };
}

/** Both log in with resumable SM and no presence (nothing but what a step sends crosses the wire). */
export const loginBoth: readonly object[] = [
  { do: 'login', client: 'alice', presence: false },
  { do: 'login', client: 'bob', presence: false },
];

/** Alice sends a chat message `id` (body = id) to Bob's laptop, or to `to`. */
export function aliceSends(id: string, to = 'bob@localhost/laptop', at?: string): object {
  const step = { do: 'send', client: 'alice', xml: `<message to='${to}' type='chat' id='${id}'><body>${id}</body></message>` };
  return at === undefined ? step : { at, ...step };
}

/** What Bob's laptop shows for a live (undelayed) message from Alice. */
export function live(id: string, to = 'bob@localhost/laptop'): string {
  return `<message from='alice@localhost/phone' id='${id}' to='${to}' type='chat' xml:lang='en'><body>${id}</body></message>`;
}

/** What Bob's laptop shows for a message re-sent from the smacks queue (delay from Bob's bare JID). */
export function replayed(id: string, to = 'bob@localhost/laptop'): string {
  return `<message from='alice@localhost/phone' id='${id}' to='${to}' type='chat' xml:lang='en'><body>${id}</body><delay from='bob@localhost' xmlns='urn:xmpp:delay'/></message>`;
}

export const r = "<r xmlns='urn:xmpp:sm:3'/>";
export const a = (h: number): string => `<a h='${h}' xmlns='urn:xmpp:sm:3'/>`;
export const enabledResumable = (maxSeconds = 600): string => `<enabled id='SMID1' max='${maxSeconds}' resume='true' xmlns='urn:xmpp:sm:3'/>`;
export const streamClose = '</stream:stream>';
export function streamError(condition: string, text: string): string {
  const ns = 'urn:ietf:params:xml:ns:xmpp-streams';
  return `<stream:error><${condition} xmlns='${ns}'/><text xmlns='${ns}'>${text}</text></stream:error>`;
}
export function failedNotFound(h?: number): string {
  const hAttr = h === undefined ? '' : ` h='${h}'`;
  return `<failed${hAttr} xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`;
}

export function runWith(variant: SmacksVariant, doc: object | string, overrides: Partial<Settings> = {}, seed = 1): RunOutput {
  return run(doc, seed, { variant, ...overrides });
}

/** A world that has not run yet, for tests that hook into the server before the run. */
export function worldOf(variant: SmacksVariant, doc: object, overrides: Partial<Settings> = {}, seed = 1): { world: World; events: TraceEvent[] } {
  const events: TraceEvent[] = [];
  const world = new World(readScenario('(test)', doc), { seed, overrides: { variant, ...overrides }, listeners: [(event) => events.push(event)] });
  return { world, events };
}

/**
 * The real resumption id a client was given (the wire report shows SMID1). Runs are deterministic,
 * so a run of the same steps up to the `<enable/>` hands out the same id.
 */
export function smIdOf(variant: SmacksVariant, doc: object, client: string, overrides: Partial<Settings> = {}): string {
  const { world } = worldOf(variant, doc, overrides);
  world.run();
  const enabled = world.scripted.get(client)!.xmpp.received.find((element) => element.name === 'enabled');
  return String(enabled!.attrs.id);
}

export function eventsOf<T extends TraceEvent['type']>(events: readonly TraceEvent[], type: T): Array<Extract<TraceEvent, { type: T }>> {
  return events.filter((event): event is Extract<TraceEvent, { type: T }> => event.type === type);
}
