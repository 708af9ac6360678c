/**
 * Historic mod_smacks bugs that a run can switch back on (spec §15): `smacksim run --bug B19`, or
 * `"bugs": ["B19"]` in a scenario's `server` block. Each switch is a small branch, marked
 * `BUG <id>`, in the variant whose code once had the fault; the catalogue below lists every switch
 * with that variant, one line on what goes wrong and where the spec describes it. A bug of the other
 * variant is refused before the run starts.
 *
 * Some switches carry their own trigger when the simulator has no path that reaches the faulty code:
 * C-2 and B15 need mod_c2s to destroy a hibernating session twice, which upstream blames on
 * net.server calling the disconnect handler twice (B25); the switch makes that happen at every
 * connection loss of a resumable session. B22 treats every session as a WebSocket one (streams
 * here have no transport).
 *
 * M-1, M-2 and C-3 are the faithful behaviour of one variant (M-1 and M-2 of community, C-3 of core
 * 0.12.3, whatever the switches say) and switches of the other, where they are a fault to turn on:
 * M-1 and M-2 in core-0.12 (an ack below the tail moves the counters back; per-user eviction of
 * resumable sessions at `smacks_max_hibernated_sessions`), C-3 in community (the queue becomes a ring
 * of `smacks_max_queue_size`).
 */
import type { SmacksVariant } from './options.js';

export const bugIds = ['B1', 'B2', 'B6', 'B8', 'B9', 'B11', 'B12', 'B15', 'B16', 'B18', 'B19', 'B20', 'B22', 'B23', 'B28', 'B30', 'C-2', 'C-3', 'M-1', 'M-2'] as const;

export type BugId = (typeof bugIds)[number];

export interface BugInfo {
  readonly id: BugId;
  /** The variant whose code carries the switch. */
  readonly variant: SmacksVariant;
  /** What goes wrong, in one line. */
  readonly summary: string;
  /** Where the spec describes it, and the upstream commit or issue. */
  readonly spec: string;
}

export const bugCatalogue: readonly BugInfo[] = [
  {
    id: 'B1',
    variant: 'community',
    summary: 'the hibernation timer destroys whatever session now holds the resource, even a new one that bound it without resuming',
    spec: 'spec §15 B1, §7.5; fixed in 01e42371 (2011)',
  },
  {
    id: 'B2',
    variant: 'community',
    summary: "a client's graceful </stream:stream> leaves the session resumable, so it hibernates (ghost presence, queued messages)",
    spec: 'spec §15 B2, §7.1; fixed in ea092b0e (2012)',
  },
  {
    id: 'B6',
    variant: 'community',
    summary: 'the ack-loop guard compares queue lengths, not the expected h: an <r/> is skipped when the unacked count repeats, and a stanza stays unacked',
    spec: 'spec §15 B6, §5.2; fixed in dab90188 (2019)',
  },
  {
    id: 'B8',
    variant: 'community',
    summary: 'resumption replays the queue through the outgoing filter as new stanzas: each is queued again, and sent again at the next resumption',
    spec: 'spec §15 B8, §8.3; fixed in 52a5ce82 (2020)',
  },
  {
    id: 'B9',
    variant: 'core-0.12',
    summary: 'resumption replays the queue without the resending flag on the resumed session: each stanza is queued again, and sent again at the next resumption',
    spec: 'spec §15 B9, §8.2; trunk Dec 2021, fixed in 9c747a1db',
  },
  {
    id: 'B11',
    variant: 'community',
    summary: '<a h> above what was sent is only logged: the whole queue is dropped and the counter jumps past reality (silent loss)',
    spec: 'spec §15 B11, §3.3; fixed in 76f3b70e (2021)',
  },
  {
    id: 'B12',
    variant: 'community',
    summary: 'a push-deferred hibernation timeout re-arms with the elapsed instead of the remaining time: later expiry, extra wakeups',
    spec: 'spec §15 B12, §7.5–7.6; fixed in 1e5438cf (2021)',
  },
  {
    id: 'B15',
    variant: 'core-0.12',
    summary: 'a second pre-resource-unbind of a hibernating session arms a second watchdog; the first, never cancelled, destroys the session after it resumed (trigger: double disconnect)',
    spec: 'spec §15 B15, §7.3; trunk, fixed in eb65a8b39 (2021)',
  },
  {
    id: 'B16',
    variant: 'core-0.12',
    summary: 'resumption keeps awaiting the <a/> for an <r/> sent on the dead connection: no <r/> is ever sent again, the queue only grows',
    spec: 'spec §15 B16, §8.2; trunk, fixed in 11e5efc23 (2021)',
  },
  {
    id: 'B18',
    variant: 'core-0.12',
    summary: 'should_ack and last_requested_h count from a stale 0 (expected h = unacked): an <r/> is skipped whenever the unacked count repeats',
    spec: 'spec §15 B18, §5.1; 0.12.0, fixed in 8027b67f1 (#1757)',
  },
  {
    id: 'B19',
    variant: 'core-0.12',
    summary: 'the bounce guard compares `to`, not `from`, with the session JID: stanzas to the session are dropped silently when it is disposed of',
    spec: 'spec §15 B19, §10; 0.12.0, fixed in 568aa7944 (#1758)',
  },
  {
    id: 'B20',
    variant: 'core-0.12',
    summary: 'bounces of a dying s2s session are injected with that session as origin: the router refuses them, the sender never learns',
    spec: 'spec §15 B20, §11; 0.12.0, fixed in d7e7558ba (#1759)',
  },
  {
    id: 'B22',
    variant: 'core-0.12',
    summary: 'a close does not fire pre-session-close (WebSocket): the token is not revoked, so even a clean logout hibernates',
    spec: 'spec §15 B22, §7.1; 0.12.0–0.12.2, fixed in 4dcabd36c (#1800)',
  },
  {
    id: 'B23',
    variant: 'core-0.12',
    summary: "resumption does not cancel the hibernation watchdog; the stray watchdog later destroys the resumed, live session",
    spec: 'spec §15 B23, §7.4; 0.12.3, fixed in 0.12.4 (3a3d9c6c2)',
  },
  {
    id: 'B28',
    variant: 'core-0.12',
    summary: "resuming over a still-open connection closes it through the disconnect path: the resumed session hibernates and its watchdog later destroys it",
    spec: 'spec §15 B28, §8.2; trunk, fixed in 33c20d9cf (2023)',
  },
  {
    id: 'B30',
    variant: 'core-0.12',
    summary: 'no server-stopping handler: at a restart hibernating sessions vanish with their queues and their h (loss; <failed> without h)',
    spec: 'spec §15 B30, §12 (19′); fixed in 685974b5d (2021)',
  },
  {
    id: 'C-2',
    variant: 'core-0.12',
    summary: 'a second destroy of a hibernating session goes through without disposing of the queue: queued stanzas are lost, the token dangles (trigger: double disconnect)',
    spec: 'spec §15 C-2 and B25, §7.3; 0.12.3',
  },
  {
    id: 'C-3',
    variant: 'community',
    summary: "the queue is core's ring of smacks_max_queue_size: when it is full the oldest unacked stanza is discarded silently (never resent, bounced or stored)",
    spec: 'spec §15 C-3, §3.2, §9.3; core 0.12.3 (util.smqueue), faithful there',
  },
  {
    id: 'M-1',
    variant: 'core-0.12',
    summary: '<a h> (or <resume h>) below what was already acknowledged is accepted and moves the counter back: the next ack removes stanzas never acknowledged (silent loss)',
    spec: 'spec §15 M-1, §3.3, §8.3; the community module, faithful there',
  },
  {
    id: 'M-2',
    variant: 'core-0.12',
    summary: 'at most smacks_max_hibernated_sessions resumable sessions per user: one more <enable> evicts the oldest, which keeps working but cannot be resumed (<failed h> with the h of eviction time)',
    spec: 'spec §15 M-2, §9.1; the community module, faithful there',
  },
];

const byId = new Map<string, BugInfo>(bugCatalogue.map((info) => [info.id, info]));

export function isBugId(text: string): text is BugId {
  return byId.has(text);
}

export function bugInfo(id: BugId): BugInfo {
  return byId.get(id)!;
}

/** Why `ids` cannot run with `variant`, naming the variant each foreign bug needs; undefined if they can. */
export function bugsVariantProblem(ids: readonly BugId[], variant: SmacksVariant): string | undefined {
  const foreign = ids.filter((id) => bugInfo(id).variant !== variant);
  if (foreign.length === 0) return undefined;
  return foreign.map((id) => `${id} is a bug of variant ${bugInfo(id).variant}`).join('; ') + `, and this run uses variant ${variant}`;
}

/** The switched-on bugs of one mod_smacks instance. */
export class BugSet {
  private readonly on: ReadonlySet<BugId>;

  constructor(
    ids: readonly BugId[],
    private readonly variant: SmacksVariant,
  ) {
    const problem = bugsVariantProblem(ids, variant);
    if (problem !== undefined) throw new RangeError(problem);
    this.on = new Set(ids);
  }

  /** Is this historic fault switched on? Asking for a bug of the other variant is a programming error. */
  has(id: BugId): boolean {
    if (bugInfo(id).variant !== this.variant) throw new RangeError(`${id} is a bug of variant ${bugInfo(id).variant}, asked by ${this.variant}`);
    return this.on.has(id);
  }
}
