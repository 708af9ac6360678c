/**
 * The outcome ledger: follows every tracked message (a <message> with an id that a client sent) from
 * the trace, and after the settle phase gives each one exactly one fate:
 * - `duplicated`: some client (device) received it more than once;
 * - `delivered`: received once live (a bounce from another resource on top is a *false bounce*);
 * - `offline`: received only out of offline storage at a later login;
 * - `bounced`: never received, and the sender got an error for it;
 * - `lost`: none of these.
 */
import type { TraceEvent } from '../trace/events.js';

export type Fate = 'delivered' | 'duplicated' | 'offline' | 'bounced' | 'lost';

interface MessageRecord {
  sender: string;
  to: string;
  sentAtMs: number;
  /** The first client that received it, and how often; further clients only if there are any. */
  firstReceiver: string | undefined;
  firstReceptions: number;
  otherReceptions: Map<string, number> | undefined;
  isLiveDelivered: boolean;
  isOfflineDelivered: boolean;
  isBounced: boolean;
  resends: number;
  /** Virtual time of the first reception by any client. */
  firstReceivedAtMs: number | undefined;
}

export interface MessageSummary {
  sent: number;
  delivered: number;
  duplicated: number;
  offline: number;
  bounced: number;
  lost: number;
  falseBounces: number;
}

export class Ledger {
  private readonly messages = new Map<string, MessageRecord>();
  /** Client re-sends of tracked messages (after a failed resume). */
  clientResends = 0;

  readonly listener = (event: TraceEvent): void => {
    switch (event.type) {
      case 'message.sent':
        if (!this.messages.has(event.id)) {
          this.messages.set(event.id, {
            sender: event.client,
            to: event.to,
            sentAtMs: event.t,
            firstReceiver: undefined,
            firstReceptions: 0,
            otherReceptions: undefined,
            isLiveDelivered: false,
            isOfflineDelivered: false,
            isBounced: false,
            resends: 0,
            firstReceivedAtMs: undefined,
          });
        }
        return;
      case 'message.resend': {
        const record = this.messages.get(event.id);
        if (record !== undefined) {
          record.resends++;
          this.clientResends++;
        }
        return;
      }
      case 'message.delivered': {
        const record = this.messages.get(event.id);
        if (record === undefined) return;
        record.firstReceivedAtMs ??= event.t;
        if (record.firstReceiver === undefined || record.firstReceiver === event.client) {
          record.firstReceiver = event.client;
          record.firstReceptions++;
        } else {
          record.otherReceptions ??= new Map();
          record.otherReceptions.set(event.client, (record.otherReceptions.get(event.client) ?? 0) + 1);
        }
        if (event.offline) record.isOfflineDelivered = true;
        else record.isLiveDelivered = true;
        return;
      }
      case 'message.bounced': {
        const record = this.messages.get(event.id);
        if (record !== undefined && record.sender === event.client) record.isBounced = true;
        return;
      }
      default:
        return;
    }
  };

  fate(id: string): Fate | undefined {
    const record = this.messages.get(id);
    return record === undefined ? undefined : fateOf(record);
  }

  summary(): MessageSummary {
    const summary: MessageSummary = { sent: 0, delivered: 0, duplicated: 0, offline: 0, bounced: 0, lost: 0, falseBounces: 0 };
    for (const record of this.messages.values()) {
      summary.sent++;
      const fate = fateOf(record);
      summary[fate]++;
      if (record.isBounced && fate !== 'bounced') summary.falseBounces++;
    }
    return summary;
  }

  /** Every tracked message id with its fate, in send order. */
  fates(): Array<{ id: string; fate: Fate; sender: string; to: string; latencyMs: number | undefined }> {
    return [...this.messages.entries()].map(([id, record]) => ({
      id,
      fate: fateOf(record),
      sender: record.sender,
      to: record.to,
      latencyMs: record.firstReceivedAtMs === undefined ? undefined : record.firstReceivedAtMs - record.sentAtMs,
    }));
  }
}

function fateOf(record: MessageRecord): Fate {
  if (record.firstReceptions > 1) return 'duplicated';
  if (record.otherReceptions !== undefined) for (const count of record.otherReceptions.values()) if (count > 1) return 'duplicated';
  if (record.isLiveDelivered) return 'delivered';
  if (record.isOfflineDelivered) return 'offline';
  if (record.isBounced) return 'bounced';
  return 'lost';
}
