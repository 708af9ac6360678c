/**
 * Follows Prosody's debug log and turns the lines that mark server events into the signals
 * `wait-for { server }` steps wait on (the simulator reads the same signals off its trace, see
 * serverSignalOf in src/world/script-runner.ts).
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { ServerSignal } from '../../scenario/schema.js';

/** The mod_smacks / mod_offline debug lines of Prosody 0.12.3 for each signal. */
export const signalLines: ReadonlyArray<readonly [ServerSignal, RegExp]> = [
  ['hibernation-start', /\tSession going into hibernation/],
  ['hibernation-expire', /\tDestroying session for hibernating too long/],
  ['offline-store', /\tSaved to offline storage:/],
  ['ack-delayed', /\tFiring event 'smacks-ack-delayed'/],
];

export class LogWatch {
  private offset = 0;
  private partial = '';
  private readonly timer: NodeJS.Timeout;
  private readonly buffer = Buffer.alloc(1 << 16);
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly path: string,
    private readonly onSignal: (signal: ServerSignal, line: string) => void,
    intervalMs = 15,
  ) {
    this.timer = setInterval(() => this.poll(), intervalMs);
  }

  /** Read what was appended since the last poll. */
  poll(): void {
    if (!existsSync(this.path)) return;
    const fd = openSync(this.path, 'r');
    try {
      for (;;) {
        const count = readSync(fd, this.buffer, 0, this.buffer.length, this.offset);
        if (count === 0) break;
        this.offset += count;
        this.partial += this.decoder.write(this.buffer.subarray(0, count));
      }
    } finally {
      closeSync(fd);
    }
    const lines = this.partial.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      for (const [signal, pattern] of signalLines) if (pattern.test(line)) this.onSignal(signal, line);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.poll();
  }
}
