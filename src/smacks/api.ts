/**
 * What the rest of the simulator sees of a mod_smacks variant: its counters and a read-only view of a
 * session's SM state. Both variants register themselves on the server's hooks, as in Prosody; the
 * world picks one with `variant` (smacks/index.ts).
 */
import type { Session } from '../server/session.js';

/** Counters the outcome report shows (Prosody exposes most of them as metrics). */
export interface SmacksMetrics {
  hibernationsStarted: number;
  hibernationsResumed: number;
  hibernationsExpired: number;
  /** community (core with BUG M-2): resumable sessions pushed out of the per-user cache (smacks_max_hibernated_sessions). */
  hibernationsEvicted: number;
  /** Resumptions that took over a session the server still thought connected. */
  resumptionsOfLiveSessions: number;
  acksRequested: number;
  acksReceived: number;
  acksDelayed: number;
  stanzasReplayed: number;
  /** Largest number of stanzas buffered by one session's queue. */
  queuePeak: number;
  queuedBytesNow: number;
  queuedBytesPeak: number;
}

export function emptyMetrics(): SmacksMetrics {
  return {
    hibernationsStarted: 0,
    hibernationsResumed: 0,
    hibernationsExpired: 0,
    hibernationsEvicted: 0,
    resumptionsOfLiveSessions: 0,
    acksRequested: 0,
    acksReceived: 0,
    acksDelayed: 0,
    stanzasReplayed: 0,
    queuePeak: 0,
    queuedBytesNow: 0,
    queuedBytesPeak: 0,
  };
}

/** A read-only look at one session's SM state, for checks and the settle phase. */
export interface SmView {
  readonly isEnabled: boolean;
  readonly isHibernating: boolean;
  readonly isResumable: boolean;
  readonly handledCount: number;
  readonly unacked: number;
}

export interface SmacksApi {
  readonly metrics: SmacksMetrics;
  view(session: Session): SmView | undefined;
}
