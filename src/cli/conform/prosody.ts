/**
 * Starts and stops one real Prosody for one conformance run: a fresh directory (config, data, debug
 * log), a free loopback port, the scenario's accounts registered with `prosodyctl register`, then
 * `prosody --config FILE -F` in the foreground of this process, stopped with SIGTERM. See
 * ../shared/prosody/README.md for why each setting is there.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Settings } from '../../scenario/settings.js';
import { prosodyConfig } from './prosody-config.js';

export interface ProsodyLaunch {
  /** The `prosody` executable (prosodyctl is looked up beside it). */
  prosody: string;
  host: string;
  settings: Settings;
  accounts: ReadonlyArray<{ username: string; password: string }>;
  /** Names the temp directory. */
  label: string;
}

/**
 * A free TCP port on the loopback interface for Prosody, below Linux's ephemeral range (32768–60999), so
 * that no proxy or client socket of a parallel run (which get ephemeral ports) can take it between this
 * check and Prosody's bind.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = net.createServer();
    const isFree = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (isFree) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port in 20000-31999 on 127.0.0.1');
}

/** prosodyctl beside the given prosody (a bare name stays a bare name, found on PATH). */
export function prosodyctlFor(prosody: string): string {
  const name = basename(prosody) === prosody ? '' : dirname(prosody);
  return name === '' ? 'prosodyctl' : join(name, 'prosodyctl');
}

function run(file: string, args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`.trim()));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** util.datamanager's encode: every non-alphanumeric byte as %xx. */
function encodePathPart(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0')}`)).join('');
}

export class ProsodyInstance {
  /** Every server process still running, so that an interrupted run can stop them (killAll). */
  private static readonly running = new Set<ChildProcess>();
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private exitText = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly configPath: string,
    readonly logPath: string,
    private readonly launch: ProsodyLaunch,
  ) {}

  /** Create the directory and config, register the accounts, start the server, wait for the port. */
  static async start(launch: ProsodyLaunch): Promise<ProsodyInstance> {
    const dir = mkdtempSync(join(tmpdir(), `smacksim-conform-${launch.label.replace(/[^\w.-]/g, '_')}-`));
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'certs'));
    const port = await freePort();
    const configPath = join(dir, 'prosody.cfg.lua');
    const logPath = join(dir, 'prosody.log');
    writeFileSync(configPath, prosodyConfig({ dir, port, host: launch.host, settings: launch.settings }));
    const instance = new ProsodyInstance(dir, port, configPath, logPath, launch);
    const prosodyctl = prosodyctlFor(launch.prosody);
    for (const account of launch.accounts) {
      await run(prosodyctl, ['--config', configPath, 'register', account.username, launch.host, account.password]);
    }
    await instance.spawn();
    return instance;
  }

  private async spawn(): Promise<void> {
    const out = openSync(join(this.dir, 'stdout.log'), 'a');
    const child = spawn(this.launch.prosody, ['--config', this.configPath, '-F'], { stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    ProsodyInstance.running.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        ProsodyInstance.running.delete(child);
        this.exitText = `exited with ${signal ?? `code ${code}`}`;
        resolve();
      });
      child.once('error', (error) => {
        this.exitText = `could not start: ${error.message}`;
        resolve();
      });
    });
    const deadline = performance.now() + 15_000;
    const logStart = existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8').length : 0;
    for (;;) {
      if (this.exitText !== '') throw new Error(`prosody ${this.exitText} (see ${this.dir})\n${this.tail()}`);
      if (existsSync(this.logPath) && readFileSync(this.logPath, 'utf8').slice(logStart).includes('Failed to open server port')) {
        await this.terminate();
        throw new Error(`prosody could not listen on port ${this.port} (see ${this.dir})\n${this.tail()}`);
      }
      if (await this.accepts()) return;
      if (performance.now() > deadline) {
        await this.terminate();
        throw new Error(`prosody did not open port ${this.port} within 15 s (see ${this.dir})\n${this.tail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  }

  private accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect({ port: this.port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }

  /** The last lines of the debug log and of stdout (for errors). */
  tail(lines = 15): string {
    const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');
    const text = `${read(join(this.dir, 'stdout.log'))}${read(this.logPath)}`;
    return text.split('\n').slice(-lines).join('\n');
  }

  /** Sessions in hibernation now, asked through the admin socket (`prosodyctl shell`). */
  async hibernatingCount(): Promise<number> {
    const lua = '> local n = 0 for _, s in pairs(prosody.full_sessions) do if s.hibernating then n = n + 1 end end return n';
    const output = await run(prosodyctlFor(this.launch.prosody), ['--config', this.configPath, 'shell', lua]);
    const match = /Result: (\d+)/.exec(output);
    if (match === null) throw new Error(`unexpected answer from prosodyctl shell: ${output}`);
    return Number(match[1]);
  }

  /** Accounts with messages in mod_offline's store (internal storage: one .list file per user). */
  usersWithPendingOffline(usernames: readonly string[]): string[] {
    const store = join(this.dir, 'data', encodePathPart(this.launch.host), 'offline');
    return usernames.filter((username) => existsSync(join(store, `${encodePathPart(username)}.list`)));
  }

  /** SIGTERM to every server still running (the process is being interrupted). */
  static killAll(): void {
    for (const child of ProsodyInstance.running) child.kill('SIGTERM');
  }

  /** SIGTERM, then SIGKILL if it has not exited after 5 s. */
  private async terminate(): Promise<void> {
    const child = this.child;
    if (child === undefined || this.exitText !== '') return;
    child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref());
    if ((await Promise.race([this.exited, timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /**
   * The `restart` step: stop now (SIGTERM: Prosody runs server-stopping, so core mod_smacks saves h
   * and mod_c2s closes sessions), stay down for `downtimeMs` from now (connections are refused), then
   * start again on the same port with the same data (accounts, offline storage, smacks_h).
   */
  async restart(downtimeMs: number): Promise<void> {
    const startAt = performance.now() + downtimeMs;
    await this.terminate();
    const waitMs = startAt - performance.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    this.exitText = '';
    await this.spawn();
  }

  /** Stop the server; remove the directory unless kept. */
  async stop(keep: boolean): Promise<void> {
    await this.terminate();
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
