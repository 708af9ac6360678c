/**
 * Records a run's fault schedule from its trace: the faults that hit population clients during the
 * safety phase (`net.fault`, with the duration the random draw chose) and every tracked message sent
 * (`message.sent`). A repro file keeps it; `smacksim shrink` turns it into a group `schedule`
 * (scenario/schedule.ts) that replays the run and can then be cut down fault by fault.
 */
import type { TraceEvent } from '../trace/events.js';

export interface RecordedFault {
  /** Virtual ms. */
  at: number;
  client: string;
  kind: string;
  durationMs?: number;
}

export interface RecordedMessage {
  at: number;
  from: string;
  /** A client or account name on the scenario's host, else a bare JID. */
  to: string;
}

export interface RecordedSchedule {
  faults: RecordedFault[];
  messages: RecordedMessage[];
}

export class ScheduleRecorder {
  readonly schedule: RecordedSchedule = { faults: [], messages: [] };
  private isSafety = true;

  constructor(private readonly host: string) {}

  readonly listener = (event: TraceEvent): void => {
    switch (event.type) {
      case 'run.phase':
        this.isSafety = event.phase === 'safety';
        return;
      case 'net.fault':
        if (!this.isSafety || event.fault === 'heal') return;
        this.schedule.faults.push(event.durationMs === undefined ? { at: event.t, client: event.client, kind: event.fault } : { at: event.t, client: event.client, kind: event.fault, durationMs: event.durationMs });
        return;
      case 'message.sent': {
        const suffix = `@${this.host}`;
        const to = event.to.endsWith(suffix) && !event.to.slice(0, -suffix.length).includes('@') ? event.to.slice(0, -suffix.length) : event.to;
        this.schedule.messages.push({ at: event.t, from: event.client, to });
        return;
      }
      default:
        return;
    }
  };
}
