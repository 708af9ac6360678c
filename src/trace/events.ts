/**
 * Every observable step of a run is one of these events. The viz, the checks and the outcome ledger
 * read only this stream (and the ledger's summary), never the live objects.
 *
 * Conventions: `t` is virtual ms; `client` is a client's name from the scenario; `conn` a connection
 * number; `jid` a full JID; `id` a stanza's id attribute when it has one.
 */
export type TraceEvent =
  | { t: number; type: 'run.phase'; phase: 'safety' | 'settle' | 'done' }
  | { t: number; type: 'net.connect'; conn: number; client: string }
  | { t: number; type: 'net.close'; conn: number; side: 'client' | 'server'; reason: string }
  | { t: number; type: 'net.drop'; conn: number; toward: 'client' | 'server'; name: string; id?: string }
  | { t: number; type: 'net.fault'; client: string; fault: string; durationMs?: number }
  | { t: number; type: 'net.nat-expired'; conn: number; idleMs: number }
  | { t: number; type: 'client.send'; client: string; conn: number; name: string; id?: string; h?: number }
  | { t: number; type: 'client.recv'; client: string; conn: number; name: string; id?: string; h?: number }
  | { t: number; type: 'client.state'; client: string; state: string; reason?: string }
  | { t: number; type: 'client.app'; client: string; state: 'foreground' | 'background' | 'suspended' | 'awake' | 'doze' }
  | { t: number; type: 'client.ack-invalid'; client: string; h: number; kind: 'too-high' | 'too-low'; reaction: string }
  | { t: number; type: 'client.crash'; client: string; reason: string; unacked: number }
  | { t: number; type: 'push.received'; client: string }
  | { t: number; type: 'server.recv'; conn: number; name: string; id?: string }
  /** `h`: the counter of an SM `<a h/>` or `<resumed h/>` the server sends. */
  | { t: number; type: 'server.send'; conn: number; name: string; id?: string; h?: number }
  | { t: number; type: 'session.bind'; jid: string; conn: number }
  | { t: number; type: 'session.close'; jid: string; reason: string }
  | { t: number; type: 'session.destroy'; jid: string; reason: string }
  | { t: number; type: 'session.read-timeout'; jid: string; kept: boolean }
  | { t: number; type: 'smacks.enable'; jid: string; resumable: boolean }
  | { t: number; type: 'smacks.r'; jid: string; lastRequestedH: number }
  | { t: number; type: 'smacks.a'; jid: string; h: number; unacked: number }
  /** Every stanza mod_smacks adds to a session's unacked queue (live or hibernating). */
  | { t: number; type: 'smacks.queue'; jid: string; id?: string; unacked: number; hibernating: boolean }
  | { t: number; type: 'smacks.ack-delayed'; jid: string; unacked: number }
  | { t: number; type: 'smacks.hibernation-start'; jid: string; unacked: number }
  /** A successful resume: `conn` the connection the session moved to, `resumeH` the h of the client's <resume/>. */
  | { t: number; type: 'smacks.hibernation-end'; jid: string; replayed: number; conn?: number; resumeH?: number }
  | { t: number; type: 'smacks.expire'; jid: string; h: number; unacked: number }
  /** `resumeH`: the h of the client's <resume/> when the server applied it before failing (core overflow). */
  | { t: number; type: 'smacks.resume-failed'; jid?: string; condition: string; h?: number; resumeH?: number }
  | { t: number; type: 'smacks.dispose'; jid: string; id?: string; name: string; disposition: 'offline' | 'bounce' | 'drop' | 'resend' }
  | { t: number; type: 'smacks.overflow'; jid: string; id?: string }
  | { t: number; type: 'smacks.evict'; jid: string; h: number }
  /** A historic bug switched on with `bugs` (smacks/bugs.ts) changed what happened here. */
  | { t: number; type: 'smacks.bug'; id: string; jid: string }
  | { t: number; type: 'offline.store'; user: string; id?: string }
  | { t: number; type: 'offline.fetch'; jid: string; count: number }
  | { t: number; type: 'router.bounce'; to: string; id?: string; condition: string }
  | { t: number; type: 'csi.state'; jid: string; state: string }
  | { t: number; type: 'csi.flush'; jid: string; reason: string; held: number }
  | { t: number; type: 'mam.archive'; user: string; id?: string; stanzaId: string }
  | { t: number; type: 'mam.query'; jid: string }
  | { t: number; type: 'push.sent'; user: string; service: string; important: boolean; id?: string }
  | { t: number; type: 'message.sent'; client: string; id: string; to: string }
  | { t: number; type: 'message.delivered'; client: string; id: string; offline: boolean; resent: boolean }
  | { t: number; type: 'message.bounced'; client: string; id: string; condition: string }
  | { t: number; type: 'message.resend'; client: string; id: string }
  | { t: number; type: 'message.failed'; client: string; id: string; reason: string };

export type TraceType = TraceEvent['type'];
