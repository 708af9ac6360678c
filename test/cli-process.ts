/** Tests that run the CLI as a separate process: build dist/ when src/ is newer, then spawn it. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';

export const cliPath = join(repoRoot, 'dist', 'cli', 'main.js');

export interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isBuildStale(): boolean {
  try {
    return statSync(cliPath).mtimeMs < newestMtimeMs(join(repoRoot, 'src'));
  } catch {
    return true;
  }
}

/** `npm run build` when dist/ is missing or older than src/ (call from beforeAll). */
export function ensureBuilt(): void {
  if (!isBuildStale()) return;
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed, so the CLI cannot be tested:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** Run `smacksim ARGS…` in `cwd` and collect what it printed. */
export function spawnCli(cwd: string, args: readonly string[]): Outcome {
  const result = spawnSync(process.execPath, [cliPath, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
