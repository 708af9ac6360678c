/**
 * The knobs of the generalised client model (model.ts): every behaviour in which real XEP-0198 clients
 * differ, after the parameter tables of ../shared/spec/xep0198-clients.md §2.10 (Table A: SM
 * mechanics, Table B: liveness, reconnect, lifecycle). A preset (presets.ts) is one full set of knob
 * values; a scenario may override single knobs by their JSON name (`knobDescriptors` below).
 *
 * Knobs this model does not offer, and why: `max` and inline SASL2/Bind2 (the simulated server has
 * neither), `window` (Dino's 10-stanza send window: the workload never has 10 stanzas in flight),
 * `counterWidth` (wrap needs 2^31 stanzas; a conformance concern, not a population one), `persistQueue`
 * (no process restarts in a population), `dedupe` (the ledger counts duplicates as the server delivers
 * them, before any receiver-side dedupe), `delayStamp` (the ledger reads mod_smacks' delay, not the
 * client's), `unsolicitedAckAfterN` (Gajim's `<a/>` after 100 unacked inbound stanzas: the server asks
 * for acks itself), `ackBeforeClose` (a last `<a/>` is the `lastAckThenAbortive` and
 * `lastAckThenGraceful` close styles).
 */

/** `resume`: `<enable resume='true'/>` and resume after a break; `acks`: `<enable/>` without resumption
 * (acks only, every break is a new session); `off`: no Stream Management at all. */
export type SmUse = 'resume' | 'acks' | 'off';

/** When the client sends `<r/>` on its own (XEP-0198 §4 leaves it to the client):
 * - `perStanza`: after every stanza it sends (Gajim, Dino, Swift);
 * - `perMessage`: after every `<message/>` (Conversations); with `ackEveryN` > 0 also after every N
 *   stanzas of any kind (Smack's `forMessagesOrAfter5Stanzas`);
 * - `everyN`: after every `ackEveryN` stanzas (slixmpp's window);
 * - `debounce`: once, `ackDebounceMs` after the last stanza of a burst (xmpp.js); with `ackEveryN` > 0
 *   also at once when N stanzas are pending (XMPPFramework's "stanzaCount or timeout");
 * - `never`: only probes ask. */
export type AckRequestPolicy = 'perStanza' | 'perMessage' | 'everyN' | 'debounce' | 'never';

/** What the client does with an `h` that acknowledges more than it sent, or less than before:
 * `ignore` clamps silently, `log` clamps and records a `client.ack-invalid` trace event, `kill` sends
 * the `<handled-count-too-high/>` stream error (XEP-0198 1.6) and forgets the session (Monal),
 * `crash` stops the client and loses its SM state and unacknowledged stanzas (a process that dies of
 * the error), `overcount` is what xmpp.js 0.14's `ackQueue(h)` does: a too-low h changes nothing; a
 * too-high h acknowledges the whole queue, counts one stanza more than it had and throws (a
 * `client.crash` the app hears as an error event), after which the client keeps running with its
 * count one ahead (its newest stanza stays unacknowledged, and is re-sent after the next resume); on
 * `<resumed h/>` the throw makes it take the resume as failed: it forgets the session and binds on the
 * resumed stream, which the server refuses, and stays there, receiving but never online, until the
 * connection breaks (`stranded`). */
export type AckValidation = 'ignore' | 'log' | 'kill' | 'crash' | 'overcount';

/** What happens to stanzas still unacknowledged when a resume fails (`<failed/>`):
 * `drop` silently, `failEvent` reports each message to the user as failed (`message.failed`),
 * `resendMessages` re-sends the messages on the new session (same id), `resendAll` re-sends messages,
 * presences and iqs. */
export type FailedResumePolicy = 'drop' | 'failEvent' | 'resendMessages' | 'resendAll';

/** The liveness probe after `probeIdleMs` of silence: an SM `<r/>`, an XEP-0199 ping to the server, a
 * whitespace keepalive (answered by nothing, so it only keeps NAT mappings and the server's read timer
 * alive), or none. */
export type ProbeType = 'r' | 'ping' | 'whitespace' | 'none';

/** How the client leaves a connection it has given up on (probe timeout, going to sleep):
 * `graceful` writes `</stream:stream>` first (the server ends the session: nothing to resume; on a dead
 * link it never arrives), `abortive` just drops the socket (the session hibernates),
 * `lastAckThenAbortive` sends a final `<a/>` and then drops the socket (Monal), `lastAckThenGraceful`
 * sends a final `<a/>` and then `</stream:stream>` (xmpp.js's `close` hook, XEP-0198 1.5.2). */
export type CloseStyle = 'graceful' | 'abortive' | 'lastAckThenAbortive' | 'lastAckThenGraceful';

/** Reconnect delay after attempt n (0-based): `fixed` base; `linear` base·(1 + factor·n); `exp`
 * base·factor^n; `steps` base·steps[min(n, last)]. Each is capped at `reconnectMaxMs` and multiplied by
 * a factor uniform in [1 − jitter, 1 + jitter]. */
export type BackoffKind = 'fixed' | 'linear' | 'exp' | 'steps';

/** Whether the app is ever in the background: `always` in the foreground (desktop clients, Android
 * apps with a foreground service as the OS sees them), or `on-use`: in the background except while the
 * user has it open (Poisson opens, and whenever the user writes). */
export type ForegroundUse = 'always' | 'on-use';

/** What the app does when the OS is about to suspend it (ios-suspend): `keep` the socket open and be
 * frozen with it, or `disconnect` first (with `closeStyle`), relying on push to wake it. */
export type SuspendBehaviour = 'keep' | 'disconnect';

/** What the app does when the OS reports a network change (a handover): nothing, or probe the link
 * after `netChangeDelayMs` with `netChangeTimeoutMs` to answer. */
export type NetChangeReaction = 'none' | 'probe';

/** How the idle probe and its timeout are timed:
 * - `afterTimeout`: a probe after `probeIdleMs` of silence; the next one is armed only when its
 *   `probeTimeoutMs` has run out with an answer (so with a timeout longer than the idle time the
 *   cadence is the timeout's);
 * - `interval`: xmpp.js's two timers: an `<r/>` every `probeIdleMs` of silence counted from the last
 *   inbound data or the last `<r/>` (answered or not), and one liveness timeout of `probeTimeoutMs`
 *   armed by any `<r/>` the client sends (probe or ack policy) unless one is running, stopped by
 *   inbound data (`probeAnyInbound`) or an `<a/>`. */
export type ProbeCadence = 'afterTimeout' | 'interval';

/** What ends a connection attempt that gets nowhere:
 * - `app`: the client's own timer, `loginTimeoutMs` for the whole attempt (TCP + stream + SASL +
 *   bind/resume);
 * - `kernel`: no timer of the client's (xmpp.js): the TCP connect retransmits its SYN after 1, 3, 7,
 *   15, 31 and 63 s and fails at 127 s (Linux `tcp_syn_retries` 6); once connected, a stalled login
 *   lasts until the connection closes or TCP gives up on unacknowledged data (`tcpGiveUpMs`). */
export type LoginTimeoutBy = 'app' | 'kernel';

export interface ClientKnobs {
  /** Resource the device binds. */
  resource: string;
  // ---- Stream Management mechanics (§2.10 Table A) ----
  sm: SmUse;
  /** `sm:3` (urn:xmpp:sm:3) or `sm:2` (Swiften still enables urn:xmpp:sm:2). */
  smNs: 'sm:3' | 'sm:2';
  ackRequest: AckRequestPolicy;
  ackEveryN: number;
  ackDebounceMs: number;
  /** `<r/>` when nothing was sent or received for this long, while something is unacknowledged
   * (xmpp.js 30 s, Psi 20 s); 0: off. */
  ackIdleMs: number;
  /** `<r/>` right after `<enabled/>`, and after `<resumed/>` once the unacknowledged stanzas are re-sent
   * (Conversations asks at once; most others ask because their policy runs on what they re-send). */
  ackAfterEnable: boolean;
  /** The stanzas re-sent after `<resumed/>` go through the ack request policy like new ones (xmpp.js
   * re-sends them through its outbound filter, which debounces an `<r/>`). */
  ackResent: boolean;
  /** At most this many `<r/>` outstanding (Monal, Psi: 1); a request that would exceed it is sent when
   * the next `<a/>` arrives and something is still unacknowledged. 0: unbounded. */
  maxOutstandingR: number;
  ackValidation: AckValidation;
  /** Prune the unacknowledged queue with the `h` of `<failed h='…'/>` before deciding what to re-send. */
  useFailedH: boolean;
  onFailedResume: FailedResumePolicy;
  /** Messages written while offline wait and go out after login (false: they fail at once, as
   * xmpp.js's `send()` throws without a socket). */
  queueWhileOffline: boolean;
  /** Initial presence goes out right after resource binding, before `<enable/>`, so neither side
   * counts it (xmpp.js is online once bound); false: after `<enabled/>`, counted like any stanza. */
  presenceBeforeEnable: boolean;
  /** Replies to the client's own iq requests (its pings, push registration) that arrive within this
   * long of the request are not counted in `h` (xmpp.js's iq caller takes them before the SM counter
   * sees them, until its 30 s timeout); 0: every stanza is counted. */
  uncountedIqRepliesMs: number;
  // ---- liveness (§2.10 Table B) ----
  probe: ProbeType;
  probeIdleMs: number;
  /** 0: no timeout (whitespace keepalives are never answered). */
  probeTimeoutMs: number;
  /** Any inbound data answers a probe (true), or only the probe's own answer (`<a/>` / the pong). */
  probeAnyInbound: boolean;
  /** Idle is counted from the last inbound data (`inbound`) or from the last data either way (`any`). */
  probeIdleFrom: 'inbound' | 'any';
  probeCadence: ProbeCadence;
  closeStyle: CloseStyle;
  /** A graceful close waits this long for the server's `</stream:stream>` (5 s; xmpp.js 2 s), then
   * drops the socket, or half-closes it (`closeSocketWaitMs`). */
  closeWaitMs: number;
  /** After that wait: send FIN and wait this long for the server's, no longer reading the stream, then
   * count as disconnected (xmpp.js: 2 s more); 0: drop the socket at once. */
  closeSocketWaitMs: number;
  /** Data arriving on that half-closed socket is a crash: xmpp.js's TypeError in
   * `Connection._onData`, whose parser is gone (in a browser an uncaught error and nothing else; in
   * Node a process crash, not modelled): counted in `clientSide.crashes`, traced `client.state crashed`. */
  lateDataCrash: boolean;
  netChange: NetChangeReaction;
  netChangeDelayMs: number;
  netChangeTimeoutMs: number;
  /** After a push woke the app, probe the link with this timeout (Conversations: 1 s); 0: no probe. */
  wakeProbeTimeoutMs: number;
  // ---- reconnect ----
  reconnect: BackoffKind;
  reconnectBaseMs: number;
  reconnectFactor: number;
  reconnectMaxMs: number;
  reconnectJitter: number;
  reconnectSteps: number[];
  /** The first attempt after losing an online session waits uniform [min, max] instead of the backoff
   * (Conversations: 2–11 s; XMPPFramework: 2 s); both 0: use the backoff from the start. */
  reconnectFirstMinMs: number;
  reconnectFirstMaxMs: number;
  /** Give up a connection attempt (TCP + stream + SASL + bind/resume) after this long (`loginTimeoutBy: app`). */
  loginTimeoutMs: number;
  loginTimeoutBy: LoginTimeoutBy;
  // ---- lifecycle ----
  foreground: ForegroundUse;
  /** `on-use`: how often the user opens the app, and how long it then stays in the foreground. */
  opensPerHour: number;
  foregroundMs: number;
  /** XEP-0352: `<inactive/>` when the app goes to the background, `<active/>` when it comes back. */
  csi: boolean;
  /** XEP-0357: register for push (mod_cloud_notify) on every new session; a push wakes the app. */
  push: boolean;
  suspend: SuspendBehaviour;
}

/** How a knob is written in a scenario (`knobs: { name: value }`) and what it accepts. */
export type KnobKind =
  | { type: 'enum'; values: readonly string[] }
  | { type: 'duration' }
  | { type: 'number'; min: number; max?: number; isInteger?: boolean }
  | { type: 'boolean' }
  | { type: 'string' }
  | { type: 'numbers'; min: number };

export interface KnobDescriptor {
  /** The JSON name (durations drop the `Ms`: `probeIdle: "5m"`). */
  name: string;
  key: keyof ClientKnobs;
  kind: KnobKind;
  text: string;
}

const enumOf = (...values: string[]): KnobKind => ({ type: 'enum', values });
const duration: KnobKind = { type: 'duration' };
const boolean: KnobKind = { type: 'boolean' };

/** Every knob, in documentation order. The scenario reader and the README table follow this list. */
export const knobDescriptors: readonly KnobDescriptor[] = [
  { name: 'resource', key: 'resource', kind: { type: 'string' }, text: 'resource the device binds' },
  { name: 'sm', key: 'sm', kind: enumOf('resume', 'acks', 'off'), text: 'Stream Management use: resume, acks only, off' },
  { name: 'smNs', key: 'smNs', kind: enumOf('sm:3', 'sm:2'), text: 'SM namespace' },
  { name: 'ackRequest', key: 'ackRequest', kind: enumOf('perStanza', 'perMessage', 'everyN', 'debounce', 'never'), text: 'when the client sends <r/>' },
  { name: 'ackEveryN', key: 'ackEveryN', kind: { type: 'number', min: 0, isInteger: true }, text: 'N of everyN (also with perMessage and debounce; 0: off)' },
  { name: 'ackDebounce', key: 'ackDebounceMs', kind: duration, text: 'debounce delay' },
  { name: 'ackIdle', key: 'ackIdleMs', kind: duration, text: '<r/> after this much silence with stanzas unacked (0: off)' },
  { name: 'ackAfterEnable', key: 'ackAfterEnable', kind: boolean, text: '<r/> after <enabled/> and after the re-sends that follow <resumed/>' },
  { name: 'ackResent', key: 'ackResent', kind: boolean, text: 'the re-sends after <resumed/> go through the ack request policy' },
  { name: 'maxOutstandingR', key: 'maxOutstandingR', kind: { type: 'number', min: 0, isInteger: true }, text: 'at most this many <r/> unanswered (0: unbounded)' },
  { name: 'ackValidation', key: 'ackValidation', kind: enumOf('ignore', 'log', 'kill', 'crash', 'overcount'), text: 'reaction to an impossible h' },
  { name: 'useFailedH', key: 'useFailedH', kind: boolean, text: 'prune with the h of <failed/>' },
  { name: 'onFailedResume', key: 'onFailedResume', kind: enumOf('drop', 'failEvent', 'resendMessages', 'resendAll'), text: 'unacked stanzas after a failed resume' },
  { name: 'queueWhileOffline', key: 'queueWhileOffline', kind: boolean, text: 'messages written offline wait (false: they fail)' },
  { name: 'presenceBeforeEnable', key: 'presenceBeforeEnable', kind: boolean, text: 'initial presence right after binding, before <enable/> (not counted)' },
  { name: 'uncountedIqReplies', key: 'uncountedIqRepliesMs', kind: duration, text: 'replies to its own iq requests within this long are not counted in h (0: all counted)' },
  { name: 'probe', key: 'probe', kind: enumOf('r', 'ping', 'whitespace', 'none'), text: 'idle probe type' },
  { name: 'probeIdle', key: 'probeIdleMs', kind: duration, text: 'silence before a probe' },
  { name: 'probeTimeout', key: 'probeTimeoutMs', kind: duration, text: 'time for the answer (0: none expected)' },
  { name: 'probeAnyInbound', key: 'probeAnyInbound', kind: boolean, text: 'any inbound data answers a probe' },
  { name: 'probeIdleFrom', key: 'probeIdleFrom', kind: enumOf('inbound', 'any'), text: 'silence counted from inbound data or any data' },
  { name: 'probeCadence', key: 'probeCadence', kind: enumOf('afterTimeout', 'interval'), text: 'next probe after the timeout ran out, or every probeIdle with its own timeout timer' },
  { name: 'closeStyle', key: 'closeStyle', kind: enumOf('graceful', 'abortive', 'lastAckThenAbortive', 'lastAckThenGraceful'), text: 'how a dead or unwanted connection is left' },
  { name: 'closeWait', key: 'closeWaitMs', kind: duration, text: 'a graceful close waits this long for the server\'s </stream:stream>' },
  { name: 'closeSocketWait', key: 'closeSocketWaitMs', kind: duration, text: 'then half-closes (FIN) and waits this long, not reading (0: drops the socket at once)' },
  { name: 'lateDataCrash', key: 'lateDataCrash', kind: boolean, text: 'data on that half-closed socket is a crash (xmpp.js\'s TypeError; the client runs on)' },
  { name: 'netChange', key: 'netChange', kind: enumOf('none', 'probe'), text: 'reaction to a network change' },
  { name: 'netChangeDelay', key: 'netChangeDelayMs', kind: duration, text: 'delay of that probe' },
  { name: 'netChangeTimeout', key: 'netChangeTimeoutMs', kind: duration, text: 'timeout of that probe' },
  { name: 'wakeProbeTimeout', key: 'wakeProbeTimeoutMs', kind: duration, text: 'after a push wake-up, probe with this timeout (0: no probe)' },
  { name: 'reconnect', key: 'reconnect', kind: enumOf('fixed', 'linear', 'exp', 'steps'), text: 'backoff shape' },
  { name: 'reconnectBase', key: 'reconnectBaseMs', kind: duration, text: 'backoff base' },
  { name: 'reconnectFactor', key: 'reconnectFactor', kind: { type: 'number', min: 0 }, text: 'linear increment / exp factor' },
  { name: 'reconnectMax', key: 'reconnectMaxMs', kind: duration, text: 'backoff cap' },
  { name: 'reconnectJitter', key: 'reconnectJitter', kind: { type: 'number', min: 0, max: 1 }, text: 'delay × uniform [1 − j, 1 + j]' },
  { name: 'reconnectSteps', key: 'reconnectSteps', kind: { type: 'numbers', min: 0 }, text: 'multipliers of base per attempt (steps)' },
  { name: 'reconnectFirstMin', key: 'reconnectFirstMinMs', kind: duration, text: 'first attempt after a drop: uniform from' },
  { name: 'reconnectFirstMax', key: 'reconnectFirstMaxMs', kind: duration, text: '… to' },
  { name: 'loginTimeout', key: 'loginTimeoutMs', kind: duration, text: 'give up a connection attempt after' },
  { name: 'loginTimeoutBy', key: 'loginTimeoutBy', kind: enumOf('app', 'kernel'), text: 'that timer (app), or none: TCP SYN retries for 127 s, then TCP give-up (kernel)' },
  { name: 'foreground', key: 'foreground', kind: enumOf('always', 'on-use'), text: 'app always in the foreground, or only while used' },
  { name: 'opensPerHour', key: 'opensPerHour', kind: { type: 'number', min: 0 }, text: 'on-use: app opens per hour' },
  { name: 'foregroundTime', key: 'foregroundMs', kind: duration, text: 'on-use: how long an open lasts' },
  { name: 'csi', key: 'csi', kind: boolean, text: 'XEP-0352 inactive in the background' },
  { name: 'push', key: 'push', kind: boolean, text: 'XEP-0357 push registration and wake-up' },
  { name: 'suspend', key: 'suspend', kind: enumOf('keep', 'disconnect'), text: 'before the OS suspends the app: keep the socket, or disconnect' },
];

/** Cross-knob rules, checked after overrides are applied. Returns the knob name and the reason. */
export function checkKnobs(knobs: ClientKnobs): { name: string; reason: string } | undefined {
  if ((knobs.ackRequest === 'everyN') && knobs.ackEveryN < 1) return { name: 'ackEveryN', reason: 'ackRequest everyN needs ackEveryN >= 1' };
  if (knobs.reconnect === 'steps' && knobs.reconnectSteps.length === 0) return { name: 'reconnectSteps', reason: 'reconnect steps needs at least one multiplier' };
  if (knobs.reconnectFirstMaxMs < knobs.reconnectFirstMinMs) return { name: 'reconnectFirstMax', reason: 'must not be below reconnectFirstMin' };
  if (knobs.probe !== 'none' && knobs.probeIdleMs <= 0) return { name: 'probeIdle', reason: 'a probe needs probeIdle > 0' };
  if (knobs.probe === 'whitespace' && knobs.probeTimeoutMs > 0) return { name: 'probeTimeout', reason: 'nothing answers a whitespace keepalive; use probeTimeout 0' };
  if (knobs.probe === 'r' && knobs.sm === 'off') return { name: 'probe', reason: 'an <r/> probe needs Stream Management (sm resume or acks)' };
  if (knobs.probeCadence === 'interval' && knobs.probe !== 'r') return { name: 'probeCadence', reason: 'the interval cadence times <r/> probes (probe r)' };
  if (knobs.foreground === 'on-use' && knobs.foregroundMs <= 0) return { name: 'foregroundTime', reason: 'on-use needs foregroundTime > 0' };
  if (knobs.loginTimeoutMs <= 0) return { name: 'loginTimeout', reason: 'must be > 0' };
  if (knobs.closeWaitMs <= 0) return { name: 'closeWait', reason: 'must be > 0' };
  return undefined;
}
