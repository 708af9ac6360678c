/** JID helpers (util.jid): only what the simulator needs; no stringprep (accounts are plain ASCII). */
export interface JidParts {
  node?: string;
  host: string;
  resource?: string;
}

export function splitJid(jid: string): JidParts {
  const slash = jid.indexOf('/');
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  const at = bare.indexOf('@');
  const parts: JidParts = { host: at === -1 ? bare : bare.slice(at + 1) };
  if (at !== -1) parts.node = bare.slice(0, at);
  if (slash !== -1) parts.resource = jid.slice(slash + 1);
  return parts;
}

export function bareJid(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? jid : jid.slice(0, slash);
}

export function joinJid(node: string | undefined, host: string, resource?: string): string {
  const bare = node === undefined ? host : `${node}@${host}`;
  return resource === undefined ? bare : `${bare}/${resource}`;
}
