/**
 * Prosody's util.events as the host's event bus: handlers run in descending priority (ties in
 * registration order); the first handler that returns anything other than undefined ends the chain,
 * and its value is what fire() returns (so `false` stops the chain too, as in Lua where only nil
 * continues).
 */
export type Handler<E> = (event: E) => unknown;

interface Entry {
  handler: Handler<never>;
  priority: number;
  seq: number;
}

export class Hooks {
  private readonly handlers = new Map<string, Entry[]>();
  private seq = 0;

  hook<E>(name: string, handler: Handler<E>, priority = 0): void {
    let list = this.handlers.get(name);
    if (list === undefined) {
      list = [];
      this.handlers.set(name, list);
    }
    list.push({ handler: handler as Handler<never>, priority, seq: this.seq++ });
    list.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  }

  fire<E>(name: string, event: E): unknown {
    const list = this.handlers.get(name);
    if (list === undefined) return undefined;
    for (const entry of list) {
      const result = (entry.handler as Handler<E>)(event);
      if (result !== undefined) return result;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }
}
