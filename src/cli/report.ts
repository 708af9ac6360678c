/** The human-readable summary of one run. */
import { formatDurationMs } from '../scenario/duration.js';
import type { FateCounts, RunResult } from '../world/world.js';

/** A latency at a glance: ms below a second, then seconds, then minutes. */
function roughly(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(2)} %`;
}

function table(rows: Array<[string, string | number, string?]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => String(value).length));
  return rows.map(([label, value, note]) => `  ${label.padEnd(width)}  ${String(value).padStart(valueWidth)}${note ? `  ${note}` : ''}`).join('\n');
}

export function formatReport(result: RunResult): string {
  const m = result.messages;
  const lines: string[] = [];
  const bugs = result.settings.bugs.length === 0 ? '' : ` · bugs ${result.settings.bugs.join(' ')}`;
  lines.push(`scenario ${result.scenario} · variant ${result.variant}${bugs} · virtual time ${formatDurationMs(result.virtualTimeMs)} · ${result.clients.model + result.clients.scripted} clients`);
  lines.push('');
  lines.push('messages');
  lines.push(
    table([
      ['sent', m.sent],
      ['delivered once', m.delivered, percent(m.delivered, m.sent)],
      ['duplicated', m.duplicated, percent(m.duplicated, m.sent)],
      ['offline (fetched later)', m.offline, percent(m.offline, m.sent)],
      ['bounced', m.bounced, percent(m.bounced, m.sent)],
      ['lost', m.lost, percent(m.lost, m.sent)],
      ['false bounces', m.falseBounces, 'delivered, but the sender also got an error'],
    ]),
  );
  lines.push('');
  lines.push('stream management');
  lines.push(
    table([
      ['resends', result.resends, 'server replays on resume + client re-sends'],
      ['hibernations started', result.hibernation.started],
      ['  resumed', result.hibernation.resumed],
      ['  expired', result.hibernation.expired],
      ['  evicted', result.hibernation.evicted],
      ['resumes of live sessions', result.hibernation.resumedLive, 'the client noticed the break before the server'],
      ['<r/> sent by server', result.acks.requested],
      ['<a/> received by server', result.acks.received],
      ['ack-delayed events', result.acks.delayed],
      ['peak queue (one session)', result.queue.peak, 'stanzas'],
      ['peak queued bytes (all)', result.queue.peakBytes],
    ]),
  );
  const byGroup = Object.entries(result.byGroup);
  if (byGroup.length > 0) {
    lines.push('');
    lines.push('messages by population group: sent by its users / sent to them');
    const fates = (row: FateCounts): string => `delivered ${row.delivered} · duplicated ${row.duplicated} · offline ${row.offline} · bounced ${row.bounced} · lost ${row.lost}`;
    lines.push(
      table(
        byGroup.flatMap(([group, row]): Array<[string, number, string]> => [
          [`${group} (${row.model}, ${row.clients} clients) sent`, row.sent.total, fates(row.sent)],
          ['  received', row.received.total, `${fates(row.received)} · latency median ${roughly(row.received.latencyMsMedian)}, p95 ${roughly(row.received.latencyMsP95)}`],
        ]),
      ),
    );
    const side = result.clientSide;
    lines.push('');
    lines.push('clients');
    lines.push(
      table([
        ['messages failed at sender', side.messagesFailed, 'the user was told (offline, or unacked after a failed resume)'],
        ['presence updates sent', side.presenceSent],
        ['pings answered / sent', `${side.pingsAnswered} / ${side.pingsSent}`, side.pingsAnswered > 0 ? `mean round trip ${side.pingRttMsMean} ms` : ''],
        ['pushes received', side.pushesReceived],
        ['client crashes', side.crashes],
      ]),
    );
  }
  lines.push('');
  lines.push(`events ${result.events} · trace events ${result.traceEvents} · trace hash ${result.traceHash}${result.settled ? '' : ' · NOT SETTLED within settleMax'}`);
  if (!result.scriptFinished) lines.push('THE SCRIPT DID NOT FINISH within its bound: later steps never ran');
  if (result.scriptTimeouts.length > 0) lines.push(`script steps that timed out: ${result.scriptTimeouts.join(', ')}`);
  return lines.join('\n');
}
