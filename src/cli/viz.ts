/**
 * `smacksim viz TRACE`: serve the run viewer (viz/) and one trace file on localhost.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const vizDir = fileURLToPath(new URL('../../viz/', import.meta.url));
const types: Record<string, string> = { html: 'text/html', js: 'text/javascript', jsonl: 'application/x-ndjson' };

export function serveViz(tracePath: string, port: number): void {
  if (!existsSync(tracePath)) throw new Error(`no such trace file: ${tracePath}`);
  // chart.js exports no path to its UMD build: find it beside the CommonJS entry.
  const chartPath = createRequire(import.meta.url).resolve('chart.js').replace(/chart\.cjs$/, 'chart.umd.js');
  const files: Record<string, string> = {
    '/': `${vizDir}index.html`,
    '/index.html': `${vizDir}index.html`,
    '/main.js': `${vizDir}main.js`,
    '/chart.umd.js': chartPath,
    '/trace.jsonl': tracePath,
  };
  const server = createServer((request, response) => {
    const path = files[(request.url ?? '/').split('?')[0]!];
    if (path === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[path.split('.').pop() ?? ''] ?? 'application/octet-stream' });
    createReadStream(path).pipe(response);
  });
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`run viewer: http://127.0.0.1:${port}/?trace=trace.jsonl  (Ctrl-C to stop)\n`);
  });
}
