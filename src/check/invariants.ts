/**
 * Invariants over a finished run, evaluated from its trace (a listener sees every event as it is
 * emitted, so nothing is kept but the few counters each rule needs) and its result. `smacksim check`
 * runs them on every seed; a broken one makes the seed fail.
 *
 * | invariant | what must hold |
 * |---|---|
 * | `client-ack-bound` | every `<a h/>` a client sends, and the h of every `<resume/>` the server accepts, is at most the number of stanzas that client received on that SM session |
 * | `server-ack-bound` | every `<a h/>` and `<resumed h/>` the server sends is at most the number of stanzas it received from the client on that SM session |
 * | `queue-disposition` | every stanza mod_smacks queues leaves the queue exactly once: acked, disposed of (offline, bounce, drop, s2s resend) or lost to overflow; the server's unacked count agrees; nothing is left in the queue of a session that is gone |
 * | `resume-replay` | a resumed session replays exactly the unacked tail of its queue, in order |
 * | `duplicates` | no client receives a message twice, unless the trace shows a cause that XEP-0198 makes expected (below) |
 * | `queue-limit` | core mod_smacks never buffers more than `smacks_max_queue_size` stanzas for one session |
 * | `settled` | the settle phase came to rest within `settleMax` |
 * | `expect:<key>` | the scenario's own `expect` clauses |
 * | `run-error` | the run finished without an assertion or a limit (set by the runner) |
 *
 * Counting is from the receiving side, which the trace sees exactly: the simulated network neither
 * invents nor duplicates frames, so "received on the session" bounds "sent on the session", and an
 * honest peer's counter equals it. A client is followed from its `<enabled/>` (count 0) across its own
 * `<resumed/>`s; the server's session from `smacks.enable` across resumptions (by its full JID). s2s
 * streams are left out of the two ack bounds (both ends are servers, their stanzas have no client
 * events); their queues are accounted for like any other.
 *
 * Scripted clients whose script forges counters (an `ack` or `resume` step with its own `h`, a
 * `resume` with `previd` or `previdOf`) are exempt from `client-ack-bound`: that is what those
 * scripts test.
 *
 * Duplicates expected by design (spec mod_smacks.md §16 "Duplicates"), counted instead of failing:
 * - `smacks-replay`: one of the copies came out of a smacks queue on resume (a stanza the client
 *   received but had not acknowledged when it resumed: its ack was lost, or the old connection was
 *   still delivering, §16.2);
 * - `smacks-offline`: mod_smacks put the unacknowledged stanza into offline storage when it gave up the
 *   session (expiry, close, conflict, failed resume, a client that never acks: §16.1);
 * - `s2s-resend`: mod_smacks re-sent an unacknowledged s2s stanza (`smacks_s2s_resend`, §16.4);
 * - `sender-resend`: the sender re-sent its own unacknowledged message after a failed resume (§16.3).
 * A duplicate with none of these causes fails. A server that replays or disposes of stanzas the
 * client had acknowledged (historic B4, B6, B8/B9) is caught by `queue-disposition` and
 * `resume-replay` instead.
 */
import type { ExpectClause, ExpectKey } from '../scenario/expect.js';
import type { Scenario } from '../scenario/schema.js';
import type { TraceEvent } from '../trace/events.js';
import type { RunResult } from '../world/world.js';

export type InvariantName =
  | 'client-ack-bound'
  | 'server-ack-bound'
  | 'queue-disposition'
  | 'resume-replay'
  | 'duplicates'
  | 'queue-limit'
  | 'settled'
  | 'run-error'
  | `expect:${ExpectKey}`;

export interface Violation {
  invariant: InvariantName;
  /** One sentence: what happened, where and when. */
  message: string;
  /** Virtual time of the first breach, when there is one. */
  t?: number;
}

export type DuplicateCause = 'smacks-replay' | 'smacks-offline' | 's2s-resend' | 'sender-resend';

/** What the checks counted on the way, for the report. */
export interface CheckStats {
  /** Stanzas mod_smacks queued, and how each left the queue. */
  queued: number;
  acked: number;
  disposed: { offline: number; bounce: number; drop: number; resend: number };
  overflow: number;
  /** Still queued when the run ended, on sessions that are still alive. */
  pending: number;
  replayed: number;
  /** Extra deliveries expected by design, by cause. */
  expectedDuplicates: Record<DuplicateCause, number>;
}

export interface CheckReport {
  violations: Violation[];
  /** Violations per invariant beyond the ones kept in `violations`. */
  suppressed: number;
  stats: CheckStats;
}

export interface InvariantContext {
  variant: string;
  maxQueueSize: number;
  /** Scripted clients exempt from `client-ack-bound` (their script forges counters). */
  forgingClients: ReadonlySet<string>;
  expect: readonly ExpectClause[];
}

/** The context of a scenario run with these settings. */
export function invariantContext(scenario: Scenario, settings: { variant: string; smacks_max_queue_size: number }): InvariantContext {
  const forgingClients = new Set<string>();
  for (const step of scenario.script) {
    if (step.do === 'ack' && step.h !== undefined) forgingClients.add(step.client);
    if (step.do === 'resume' && (step.h !== undefined || step.previd !== undefined || step.previdOf !== undefined)) forgingClients.add(step.client);
  }
  return { variant: settings.variant, maxQueueSize: settings.smacks_max_queue_size, forgingClients, expect: scenario.expect };
}

/** How many violations of one invariant are kept with their message (the rest are counted). */
const keptPerInvariant = 3;

const countable = new Set(['message', 'presence', 'iq']);

/** One SM session's outgoing queue as the trace tells it: every push in order, `lo` the oldest still queued. */
interface QueueModel {
  jid: string;
  ids: Array<string | undefined>;
  lo: number;
  /** core: the last accepted h (smqueue's tail); community: last_acknowledged_stanza. */
  tail: number;
  isDestroyed: boolean;
  /** When the trace said the session was destroyed. */
  destroyedAt?: number;
}

export class InvariantMonitor {
  private readonly violations: Violation[] = [];
  private readonly perInvariant = new Map<InvariantName, number>();
  private suppressed = 0;
  private readonly stats: CheckStats = {
    queued: 0,
    acked: 0,
    disposed: { offline: 0, bounce: 0, drop: 0, resend: 0 },
    overflow: 0,
    pending: 0,
    replayed: 0,
    expectedDuplicates: { 'smacks-replay': 0, 'smacks-offline': 0, 's2s-resend': 0, 'sender-resend': 0 },
  };
  private readonly isCore: boolean;

  // client-ack-bound
  private readonly connClient = new Map<number, string>();
  /** Stanzas each client received on its current SM session (undefined: none). */
  private readonly clientReceived = new Map<string, number | undefined>();
  // server-ack-bound
  private readonly connJid = new Map<number, string>();
  /** Stanzas the server received on each SM session, by the session's JID. */
  private readonly serverReceived = new Map<string, number>();
  /** <resumed h/> sent on a connection not yet known as resumed (its smacks.hibernation-end comes later). */
  private readonly resumedH = new Map<number, number>();
  /** Stanzas queued so far when the server received <resume/> on a connection (pushes during the replay are re-queued replays). */
  private readonly queuedAtResume = new Map<number, number>();
  // queue-disposition, resume-replay, queue-limit
  private readonly queues = new Map<string, QueueModel>();
  /**
   * The replay on a resumed connection. Writes may be traced before smacks.hibernation-end (sent at
   * once) or after it (flushed later), so either the sends are collected until the event comes, or
   * the event leaves what the next sends must be.
   */
  private readonly replaySends = new Map<number, Array<string | undefined>>();
  private readonly pendingReplay = new Map<number, { jid: string; expected: Array<string | undefined>; next: number; remaining: number; t: number }>();
  // duplicates
  private readonly deliveries = new Map<string, { count: number; isReplay: boolean; isOffline: boolean }>();
  private readonly senderResent = new Set<string>();
  private readonly disposedTo = new Map<string, Set<string>>();

  constructor(private readonly context: InvariantContext) {
    this.isCore = context.variant !== 'community';
  }

  readonly listener = (event: TraceEvent): void => {
    switch (event.type) {
      case 'net.connect':
        this.connClient.set(event.conn, event.client);
        return;
      case 'client.recv':
        this.clientRecv(event.client, event.name);
        return;
      case 'client.send':
        if (event.name === 'a' && event.h !== undefined) this.clientAck(event.client, event.h, event.t, 'an <a h>');
        return;
      case 'session.bind':
        this.connJid.set(event.conn, event.jid);
        return;
      case 'server.recv':
        if (event.name === 'resume') this.queuedAtResume.set(event.conn, this.stats.queued);
        if (countable.has(event.name)) {
          const jid = this.connJid.get(event.conn);
          const count = jid === undefined ? undefined : this.serverReceived.get(jid);
          if (count !== undefined) this.serverReceived.set(jid!, count + 1);
        }
        return;
      case 'server.send':
        this.serverSend(event.conn, event.name, event.id, event.h, event.t);
        return;
      case 'smacks.enable':
        this.serverReceived.set(event.jid, 0);
        this.newQueue(event.jid, event.t);
        return;
      case 'smacks.queue':
        this.queuePush(event.jid, event.id, event.unacked, event.t);
        return;
      case 'smacks.overflow': {
        const queue = this.removeOldest(event.jid, event.id, 'lost to overflow', event.t);
        if (queue !== undefined) this.stats.overflow++;
        // community with BUG C-3: last_acknowledged_stanza moves past the discarded stanza (core's tail does not).
        if (queue !== undefined && !this.isCore) queue.tail++;
        return;
      }
      case 'smacks.dispose': {
        const queue = this.removeOldest(event.jid, event.id, `disposed of (${event.disposition})`, event.t);
        if (queue !== undefined) this.stats.disposed[event.disposition]++;
        if (event.id !== undefined) {
          let dispositions = this.disposedTo.get(event.id);
          if (dispositions === undefined) this.disposedTo.set(event.id, (dispositions = new Set()));
          dispositions.add(event.disposition);
        }
        return;
      }
      case 'smacks.a':
        this.queueAck(event.jid, event.h, event.unacked, event.t);
        return;
      case 'smacks.resume-failed':
        if (this.isCore && event.jid !== undefined && event.resumeH !== undefined) this.coreAck(this.queueOf(event.jid), event.resumeH);
        return;
      case 'smacks.hibernation-end':
        this.resumed(event.jid, event.replayed, event.conn, event.resumeH, event.t);
        return;
      case 'session.destroy': {
        const queue = this.queues.get(event.jid);
        if (queue !== undefined) {
          queue.isDestroyed = true;
          queue.destroyedAt = event.t;
        }
        return;
      }
      case 'message.resend':
        this.senderResent.add(event.id);
        return;
      case 'message.delivered':
        this.delivered(event.client, event.id, event.offline, event.resent, event.t);
        return;
      default:
        return;
    }
  };

  private fail(invariant: InvariantName, message: string, t?: number): void {
    const count = (this.perInvariant.get(invariant) ?? 0) + 1;
    this.perInvariant.set(invariant, count);
    if (count > keptPerInvariant) {
      this.suppressed++;
      return;
    }
    this.violations.push(t === undefined ? { invariant, message } : { invariant, message, t });
  }

  // ---- the two ack bounds ----

  private clientRecv(client: string, name: string): void {
    if (name === 'enabled') this.clientReceived.set(client, 0);
    else if (countable.has(name)) {
      const count = this.clientReceived.get(client);
      if (count !== undefined) this.clientReceived.set(client, count + 1);
    }
  }

  private clientAck(client: string, h: number, t: number, what: string): void {
    if (Number.isNaN(h) || this.context.forgingClients.has(client)) return;
    const received = this.clientReceived.get(client);
    if (received === undefined || h <= received) return;
    this.fail('client-ack-bound', `client ${client} acknowledged h=${h} with ${what}, but received only ${received} stanzas on that SM session`, t);
  }

  private serverSend(conn: number, name: string, id: string | undefined, h: number | undefined, t: number): void {
    if (countable.has(name)) {
      this.replaySends.get(conn)?.push(id);
      this.matchReplay(conn, id);
    }
    if (name === 'resumed' && h !== undefined) {
      const pending = this.pendingReplay.get(conn);
      if (pending === undefined) this.replaySends.set(conn, []);
      else if (pending.remaining === 0) this.pendingReplay.delete(conn);
      // Known as resumed already (the event came first): check now; else when the event comes.
      if (this.connJid.has(conn)) this.checkResumedH(this.connJid.get(conn)!, h, t);
      else this.resumedH.set(conn, h);
      return;
    }
    if (name !== 'a' || h === undefined) return;
    const jid = this.connJid.get(conn);
    const received = jid === undefined ? undefined : this.serverReceived.get(jid);
    if (received !== undefined && h > received) {
      this.fail('server-ack-bound', `the server sent <a h='${h}'/> to ${jid}, but received only ${received} stanzas from it on that SM session`, t);
    }
  }

  private checkResumedH(jid: string, h: number, t: number): void {
    const received = this.serverReceived.get(jid);
    if (received !== undefined && h > received) {
      this.fail('server-ack-bound', `the server resumed ${jid} with <resumed h='${h}'/>, but received only ${received} stanzas on that SM session`, t);
    }
  }

  /** A stanza written on a connection whose replay is still expected: it must come from the unacked tail, in order. */
  private matchReplay(conn: number, id: string | undefined): void {
    const pending = this.pendingReplay.get(conn);
    if (pending === undefined) return;
    while (pending.next < pending.expected.length && pending.expected[pending.next] !== id) pending.next++;
    if (pending.next === pending.expected.length) {
      this.pendingReplay.delete(conn);
      this.fail('resume-replay', `${pending.jid} replayed '${id ?? '(no id)'}' on resume, which is not in its unacked tail (${pending.expected.slice(0, 5).join(', ')})`, pending.t);
      return;
    }
    pending.next++;
    if (--pending.remaining === 0) this.pendingReplay.delete(conn);
  }

  // ---- the queue ----

  private newQueue(jid: string, t?: number): QueueModel {
    const old = this.queues.get(jid);
    if (old !== undefined) {
      // Only one session holds a full JID: a new one enabling SM means the old one is gone.
      old.isDestroyed = true;
      this.checkLeftovers(old, 'when the JID enabled SM again', t);
    }
    const queue: QueueModel = { jid, ids: [], lo: 0, tail: 0, isDestroyed: false };
    this.queues.set(jid, queue);
    return queue;
  }

  /** The live queue of a JID; s2s streams enable without an event, so their queue starts at the first push. */
  private queueOf(jid: string, t?: number): QueueModel {
    const queue = this.queues.get(jid);
    return queue === undefined || queue.isDestroyed ? this.newQueue(jid, t) : queue;
  }

  private checkLeftovers(queue: QueueModel, when: string, t?: number): void {
    const left = queue.ids.length - queue.lo;
    if (left === 0) return;
    if (!queue.isDestroyed) {
      this.stats.pending += left;
      return;
    }
    const ids = queue.ids.slice(queue.lo, queue.lo + 5).map((id) => id ?? '(no id)').join(', ');
    this.fail('queue-disposition', `${left} stanza(s) queued for ${queue.jid} vanished with its session, without a disposition (${ids}${left > 5 ? ', …' : ''}), noticed ${when}`, t ?? queue.destroyedAt);
    queue.lo = queue.ids.length;
  }

  private queuePush(jid: string, id: string | undefined, unacked: number, t: number): void {
    const queue = this.queueOf(jid, t);
    queue.ids.push(id);
    this.stats.queued++;
    const buffered = queue.ids.length - queue.lo;
    if (this.isCore && buffered > this.context.maxQueueSize) {
      this.fail('queue-limit', `${jid} buffers ${buffered} stanzas, more than smacks_max_queue_size=${this.context.maxQueueSize}`, t);
    }
    this.checkUnacked(queue, unacked, t);
  }

  /** The server's own unacked count must agree with the pushes and acks the trace shows. */
  private checkUnacked(queue: QueueModel, unacked: number, t: number): void {
    const expected = this.isCore ? queue.ids.length - queue.tail : queue.ids.length - queue.lo;
    if (unacked !== expected) {
      this.fail('queue-disposition', `mod_smacks counts ${unacked} unacked stanzas for ${queue.jid}, the trace accounts for ${expected}`, t);
    }
  }

  private removeOldest(jid: string, id: string | undefined, what: string, t: number): QueueModel | undefined {
    const queue = this.queues.get(jid);
    if (queue === undefined || queue.lo >= queue.ids.length) {
      this.fail('queue-disposition', `a stanza${id === undefined ? '' : ` '${id}'`} was ${what} for ${jid}, but nothing was queued there`, t);
      return undefined;
    }
    const oldest = queue.ids[queue.lo];
    if (id !== oldest) {
      this.fail('queue-disposition', `'${id ?? '(no id)'}' was ${what} for ${jid}, but the oldest queued stanza is '${oldest ?? '(no id)'}'`, t);
    }
    queue.lo++;
    return queue;
  }

  private queueAck(jid: string, h: number, unacked: number, t: number): void {
    const queue = this.queues.get(jid);
    if (queue === undefined) return;
    if (this.isCore) this.coreAck(queue, h);
    else this.communityAck(queue, h);
    this.checkUnacked(queue, unacked, t);
  }

  /** smqueue:ack(h): refused below the tail or above the head; else drops the acknowledged ones. */
  private coreAck(queue: QueueModel, h: number): boolean {
    return this.coreAckUpTo(queue, h, queue.ids.length);
  }

  /** The same, with the head given (a resume's ack came before the replay re-queued anything). */
  private coreAckUpTo(queue: QueueModel, h: number, head: number): boolean {
    if (Number.isNaN(h) || h < queue.tail || h > head) return false;
    queue.tail = h;
    if (h > queue.lo) {
      this.stats.acked += h - queue.lo;
      queue.lo = h;
    }
    return true;
  }

  /** community handle_a: no lower bound (M-1), refused when it acknowledges more than is queued. */
  private communityAck(queue: QueueModel, h: number): void {
    const handled = h - queue.tail;
    const buffered = queue.ids.length - queue.lo;
    if (Number.isNaN(h) || handled > buffered) return;
    const removed = Math.max(0, Math.floor(Math.min(handled, buffered)));
    this.stats.acked += removed;
    queue.lo += removed;
    queue.tail += handled;
  }

  private resumed(jid: string, replayed: number, conn: number | undefined, resumeH: number | undefined, t: number): void {
    this.stats.replayed += replayed;
    const sends = conn === undefined ? undefined : this.replaySends.get(conn);
    const queuedBefore = conn === undefined ? undefined : this.queuedAtResume.get(conn);
    if (conn !== undefined) {
      this.replaySends.delete(conn);
      this.queuedAtResume.delete(conn);
      const client = this.connClient.get(conn);
      if (client !== undefined && resumeH !== undefined) this.clientAck(client, resumeH, t, 'its <resume h>');
      const h = this.resumedH.get(conn);
      this.resumedH.delete(conn);
      if (h !== undefined) this.checkResumedH(jid, h, t);
      this.connJid.set(conn, jid);
    }
    const queue = this.queues.get(jid);
    if (queue === undefined) return;
    // A replayed stanza that goes through the queue again goes out once more at the next resume.
    const requeued = queuedBefore === undefined ? 0 : this.stats.queued - queuedBefore;
    if (requeued > 0) {
      this.fail('resume-replay', `${jid} queued ${requeued} of the ${replayed} stanza(s) it replayed on resume again, so they go out once more at the next resume`, t);
    }
    const end = queue.ids.length - requeued;
    if (this.isCore && resumeH !== undefined && !this.coreAckUpTo(queue, resumeH, end)) {
      this.fail('resume-replay', `${jid} was resumed with h=${resumeH}, outside what it could acknowledge (${queue.tail}…${end})`, t);
    }
    const unacked = this.isCore ? end - queue.tail : end - queue.lo;
    const buffered = end - queue.lo;
    if (buffered < unacked) {
      this.fail('resume-replay', `${jid} was resumed although ${unacked - buffered} unacked stanza(s) had been lost to overflow`, t);
    }
    if (replayed !== buffered) {
      this.fail('resume-replay', `${jid} replayed ${replayed} stanza(s) on resume, but ${buffered} were unacked and queued`, t);
      return;
    }
    // What goes out on the wire must be the queued tail, in order (mod_csi may hold some back).
    const expected = queue.ids.slice(queue.lo, end);
    if (sends === undefined) {
      if (conn !== undefined) this.pendingReplay.set(conn, { jid, expected, next: 0, remaining: replayed, t });
      return;
    }
    this.pendingReplay.set(conn!, { jid, expected, next: 0, remaining: sends.length, t });
    for (const id of sends) this.matchReplay(conn!, id);
    this.pendingReplay.delete(conn!);
  }

  // ---- duplicates ----

  private delivered(client: string, id: string, offline: boolean, resent: boolean, t: number): void {
    const key = `${client}\u0000${id}`;
    let record = this.deliveries.get(key);
    if (record === undefined) this.deliveries.set(key, (record = { count: 0, isReplay: false, isOffline: false }));
    record.count++;
    record.isReplay ||= resent;
    record.isOffline ||= offline;
    if (record.count < 2) return;
    const disposed = this.disposedTo.get(id);
    const cause: DuplicateCause | undefined = record.isReplay
      ? 'smacks-replay'
      : record.isOffline && disposed?.has('offline')
        ? 'smacks-offline'
        : disposed?.has('resend')
          ? 's2s-resend'
          : this.senderResent.has(id)
            ? 'sender-resend'
            : undefined;
    if (cause !== undefined) this.stats.expectedDuplicates[cause]++;
    else this.fail('duplicates', `client ${client} received message '${id}' ${record.count} times, with no replay, offline disposal or re-send to explain it`, t);
  }

  // ---- the end ----

  finish(result: RunResult): CheckReport {
    for (const queue of this.queues.values()) this.checkLeftovers(queue, 'at the end of the run');
    if (this.isCore && result.queue.peak > this.context.maxQueueSize) {
      this.fail('queue-limit', `the queue peak ${result.queue.peak} is above smacks_max_queue_size=${this.context.maxQueueSize}`);
    }
    if (!result.settled) this.fail('settled', `the settle phase did not come to rest (virtual time ${result.virtualTimeMs} ms)`);
    for (const clause of this.context.expect) {
      const value = expectValue(result, clause.key);
      const isLow = clause.min !== undefined && value < clause.min;
      const isHigh = clause.max !== undefined && value > clause.max;
      if (isLow || isHigh) this.fail(`expect:${clause.key}`, `${clause.key} = ${value}, expected ${describeBounds(clause)}`);
    }
    return { violations: this.violations, suppressed: this.suppressed, stats: this.stats };
  }
}

/** The number an `expect` key names in a run's result. */
export function expectValue(result: RunResult, key: ExpectKey): number {
  switch (key) {
    case 'resends':
      return result.resends;
    case 'scriptTimeouts':
      return result.scriptTimeouts.length;
    case 'virtualTimeMs':
      return result.virtualTimeMs;
    default: {
      const dot = key.indexOf('.');
      if (dot === -1) return result.messages[key as keyof RunResult['messages']];
      const group = key.slice(0, dot) as 'hibernation' | 'acks' | 'queue';
      return (result[group] as unknown as Record<string, number>)[key.slice(dot + 1)]!;
    }
  }
}

function describeBounds(clause: ExpectClause): string {
  if (clause.min !== undefined && clause.min === clause.max) return `${clause.min}`;
  if (clause.max === undefined) return `at least ${clause.min}`;
  if (clause.min === undefined) return `at most ${clause.max}`;
  return `${clause.min} … ${clause.max}`;
}
