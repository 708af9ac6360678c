/** `--trace FILE`: the run's events as JSON lines, written in large chunks. */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { TraceEvent } from '../trace/events.js';

export class TraceFile {
  private readonly fd: number;
  private chunk: string[] = [];
  private chunkLength = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  readonly sink = (event: TraceEvent): void => {
    const line = JSON.stringify(event);
    this.chunk.push(line);
    this.chunkLength += line.length + 1;
    if (this.chunkLength > 1 << 20) this.flush();
  };

  private flush(): void {
    if (this.chunk.length === 0) return;
    writeSync(this.fd, `${this.chunk.join('\n')}\n`);
    this.chunk = [];
    this.chunkLength = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
