/**
 * A population group's explicit `schedule`: faults and messages at fixed times that replace the
 * group's random draws (`smacksim shrink` writes one from a recorded run; people may write one by hand):
 *
 *   "schedule": {
 *     "faults":   [{ "at": "12m", "client": "phone3", "kind": "blackhole", "durationMs": 600000 }],
 *     "messages": [{ "at": "13m", "from": "phone1", "to": "phone3" }]
 *   }
 *
 * `faults` replaces the random faults of the group's network and `messages` its random traffic; a key
 * left out keeps that part random. `client` and `from` name members of the group; `to` names any
 * population client or account (a bare JID for another domain).
 */
import type { ScheduledFault } from '../net/scheduled-faults.js';
import type { ScheduledMessage } from '../workload/scheduled-traffic.js';
import { ScenarioError } from './errors.js';
import { ObjectReader } from './reader.js';

export interface GroupSchedule {
  faults: ScheduledFault[] | undefined;
  /** `to` as written: a client or account name, or a bare JID. */
  messages: ScheduledMessage[] | undefined;
}

function member(reader: ObjectReader, key: string, groupName: string, count: number): string {
  const name = reader.string(key);
  const index = name.startsWith(groupName) ? Number(name.slice(groupName.length)) : NaN;
  if (!Number.isInteger(index) || index < 1 || index > count || `${groupName}${index}` !== name) {
    reader.fail(key, 'not a client of this group', `${groupName}1 … ${groupName}${count}`);
  }
  return name;
}

export function readSchedule(source: string, path: string, raw: unknown, groupName: string, count: number): GroupSchedule | undefined {
  if (raw === undefined) return undefined;
  const reader = ObjectReader.of(source, path, raw);
  const faultsRaw = reader.array('faults');
  const messagesRaw = reader.array('messages');
  reader.done('faults, messages');
  const faults = faultsRaw?.map((item, index): ScheduledFault => {
    const fault = ObjectReader.of(source, `${reader.at('faults')}[${index}]`, item);
    const scheduled: ScheduledFault = {
      atMs: fault.duration('at'),
      client: member(fault, 'client', groupName, count),
      kind: fault.oneOf('kind', ['reset', 'blackhole', 'outage'] as const),
      durationMs: fault.duration('durationMs', 0),
    };
    if (scheduled.kind !== 'reset' && scheduled.durationMs === 0) fault.fail('durationMs', `a ${scheduled.kind} needs a duration`, 'a duration > 0');
    fault.done('at, client, kind, durationMs');
    return scheduled;
  });
  const messages = messagesRaw?.map((item, index): ScheduledMessage => {
    const message = ObjectReader.of(source, `${reader.at('messages')}[${index}]`, item);
    const scheduled: ScheduledMessage = { atMs: message.duration('at'), from: member(message, 'from', groupName, count), to: message.string('to') };
    message.done('at, from, to');
    return scheduled;
  });
  return { faults, messages };
}

/** Every `to` without a domain must name a population client or an account of the scenario's host. */
export function checkScheduleTargets(
  source: string,
  groups: ReadonlyArray<{ name: string; count: number; schedule: GroupSchedule | undefined }>,
  accounts: ReadonlySet<string>,
): void {
  const isClient = (name: string): boolean =>
    accounts.has(name) ||
    groups.some((group) => {
      const index = Number(name.slice(group.name.length));
      return name.startsWith(group.name) && Number.isInteger(index) && index >= 1 && index <= group.count && `${group.name}${index}` === name;
    });
  for (const [groupIndex, group] of groups.entries()) {
    for (const [index, message] of (group.schedule?.messages ?? []).entries()) {
      if (message.to.includes('@') || isClient(message.to)) continue;
      throw new ScenarioError(source, `population.groups[${groupIndex}].schedule.messages[${index}].to`, 'no such client or account', message.to, 'a population client, an account, or a bare JID');
    }
  }
}

/** The bare JID a scheduled message goes to. */
export function scheduleTargetJid(to: string, host: string): string {
  return to.includes('@') ? to : `${to}@${host}`;
}
