/**
 * Core server settings that change what happens to stanzas (spec §1, second table), by their
 * Prosody names, with Prosody's defaults. Times are in seconds, as in prosody.cfg.lua.
 */
export interface ServerOptions {
  /** network_settings.read_timeout: inbound silence before c2s-read-timeout fires. */
  read_timeout: number;
  /**
   * network_settings.send_timeout: seconds a connection's written data may stay undrained (the peer
   * stopped reading and the socket buffers are full) before server_epoll drops it ("write timeout").
   */
  send_timeout: number;
  /** mod_c2s: grace period for the peer's </stream:stream> after a server-initiated clean close. */
  c2s_close_timeout: number;
  /** sessionmanager.bind_resource policy when a resource is already bound. */
  conflict_resolve: 'kick_old' | 'kick_new' | 'increment' | 'random';
  /** mod_offline loaded (default in Prosody). */
  offline: boolean;
  /** prosody-modules mod_nooffline_noerror: swallow the error when nothing stores the message. */
  nooffline_noerror: boolean;
  /**
   * mod_csi + mod_csi_simple loaded. On by default because Debian's prosody.cfg.lua (0.12.3) lists
   * "csi_simple" in modules_enabled (and csi_simple depends on csi); the conformance config turns it
   * off.
   */
  csi: boolean;
  /** mod_csi_simple: stanzas held while inactive before the buffer is flushed anyway. */
  csi_queue_size: number;
  /** mod_csi_simple: seconds after a flush before writes are held again. */
  csi_resume_inactive_delay: number;
  /** mod_mam loaded (commented out in Debian's default config; off in the conformance config). */
  mam: boolean;
}

export const serverOptionsDefault: Readonly<ServerOptions> = Object.freeze({
  read_timeout: 840,
  send_timeout: 180,
  c2s_close_timeout: 5,
  conflict_resolve: 'kick_old',
  offline: true,
  nooffline_noerror: false,
  csi: true,
  csi_queue_size: 256,
  csi_resume_inactive_delay: 5,
  mam: false,
});
