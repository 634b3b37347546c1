import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KolejkaClient } from '@kolejka/client';
import { createDockerHost } from '../../src/docker-host.js';
import { FOREMAN_LABEL } from '../../src/task-runner.js';
import { removeWorkDir } from '../../src/work-dirs.js';
import { runCliCaptured } from '../../../server/test/support/cli-run.js';
import { spawnCli, type CliProcess } from '../../../server/test/support/server-process.js';
import { TS_NODE_ARGS } from '../../../server/test/support/ts-loader.js';

const FOREMAN_CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const CLIENT_CLI = fileURLToPath(new URL('../../../client/src/cli.ts', import.meta.url));
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../../examples', import.meta.url));
/** Task containers of the tests are named so (the common brief's rule). */
export const CONTAINER_PREFIX = 'kolejka-test-foreman-';

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export interface LogEntry {
  message: string;
  level: string;
  [key: string]: unknown;
}

export interface ForemanProcess {
  id: string;
  temp: string;
  child: ChildProcessWithoutNullStreams;
  logs: LogEntry[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first log entry (past or future) that matches. */
  waitForLog(
    match: (entry: LogEntry) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<LogEntry>;
  /** Keys of the tasks it ran (its "task ran" log lines). */
  ran(): string[];
}

export interface ServerHandle {
  url: string;
  port: number;
  cli: CliProcess;
}

/**
 * A Kolejka system for the tests: one home (SQLite + blobs), server processes started and
 * stopped at will on a fixed port (so a restart keeps the URL), foreman processes, users
 * with tokens, and cleanup of everything (processes by pid, containers by label).
 */
export class Cluster {
  readonly foremen: ForemanProcess[] = [];
  readonly servers: ServerHandle[] = [];
  readonly tokens: Record<'client' | 'processor' | 'manager', string> = {
    client: '',
    processor: '',
    manager: '',
  };
  private readonly clients: KolejkaClient[] = [];
  readonly name = randomBytes(3).toString('hex');

  private constructor(readonly home: string) {}

  static async create(): Promise<Cluster> {
    const home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-foreman-'));
    const cluster = new Cluster(home);
    const users = { client: 'alice', processor: 'node', manager: 'boss' } as const;
    for (const [role, username] of Object.entries(users) as [keyof typeof users, string][]) {
      const added = await runCliCaptured(['user', 'add', username, '--role', role, '--home', home]);
      if (added.code !== 0) throw new Error(`user add failed: ${added.stderr}`);
      const token = await runCliCaptured(['token', 'create', username, '--home', home]);
      if (token.code !== 0) throw new Error(`token create failed: ${token.stderr}`);
      cluster.tokens[role] = token.stdout.trim();
    }
    return cluster;
  }

  /** `kolejka-server serve` on `port` (0: any free one). */
  async startServer(args: string[] = [], port = 0): Promise<ServerHandle> {
    const cli = spawnCli(
      ['serve', '--home', this.home, '--port', String(port), '--log-level', 'warn', ...args],
      {},
    );
    const lines = createInterface({ input: cli.process.stdout });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`server did not start: ${cli.stderr()}`)),
        30_000,
      );
      lines.on('line', (line) => {
        const listening = (JSON.parse(line) as { listening?: string }).listening;
        if (listening !== undefined) {
          clearTimeout(timer);
          resolve(listening);
        }
      });
      void cli.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code ?? signal}): ${cli.stderr()}`));
      });
    });
    const handle = { url, port: Number(new URL(url).port), cli };
    this.servers.push(handle);
    return handle;
  }

  async stopServer(server: ServerHandle, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (server.cli.process.exitCode === null && server.cli.process.signalCode === null) {
      server.cli.process.kill(signal);
      await server.cli.exited;
    }
  }

  client(url: string): KolejkaClient {
    const client = new KolejkaClient({ server: url, token: this.tokens.client, retries: 1 });
    this.clients.push(client);
    return client;
  }

  /** A `kolejka-foreman` process from the sources; `name` makes its id and temp dir. */
  async startForeman(
    name: string,
    urls: string[],
    args: string[] = [],
    options: { temp?: string; id?: string } = {},
  ): Promise<ForemanProcess> {
    const id = options.id ?? `kolejka-test-foreman-${this.name}-${name}`;
    const temp = options.temp ?? path.join(this.home, `foreman-${name}`);
    const child = spawn(
      process.execPath,
      [
        ...TS_NODE_ARGS,
        FOREMAN_CLI,
        '--server',
        urls.join(','),
        '--token',
        this.tokens.processor,
        '--id',
        id,
        '--temp',
        temp,
        '--container-prefix',
        CONTAINER_PREFIX,
        '--output-limit',
        '1M',
        ...args,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, KOLEJKA_LOG_LEVEL: 'info' } },
    );
    const logs: LogEntry[] = [];
    const waiters = new Set<{
      match: (entry: LogEntry) => boolean;
      resolve: (entry: LogEntry) => void;
    }>();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        entry = { message: line, level: 'raw' };
      }
      logs.push(entry);
      for (const waiter of [...waiters]) if (waiter.match(entry)) waiter.resolve(entry);
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const foreman: ForemanProcess = {
      id,
      temp,
      child,
      logs,
      stderr: () => stderr,
      exited,
      ran: () =>
        logs.filter((entry) => entry.message === 'task ran').map((entry) => String(entry.task)),
      waitForLog: (match, timeoutMs = 20_000, what = 'a log line') => {
        const seen = logs.find(match);
        if (seen !== undefined) return Promise.resolve(seen);
        return new Promise((resolve, reject) => {
          const waiter = {
            match,
            resolve: (entry: LogEntry) => {
              clearTimeout(timer);
              waiters.delete(waiter);
              resolve(entry);
            },
          };
          const timer = setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`foreman ${name}: timed out waiting for ${what}; stderr: ${stderr}`));
          }, timeoutMs);
          waiters.add(waiter);
          void exited.then(({ code, signal }) => {
            if (!waiters.has(waiter)) return;
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(
              new Error(`foreman ${name} exited (${code ?? signal}) before ${what}: ${stderr}`),
            );
          });
        });
      },
    };
    this.foremen.push(foreman);
    await foreman.waitForLog((entry) => entry.message === 'connected', 30_000, 'its connection');
    return foreman;
  }

  /** A busybox task dir running `sh -c SCRIPT`. */
  async taskDir(
    name: string,
    script: string,
    extra: { limits?: Record<string, unknown>; requires?: string[]; exclusive?: boolean } = {},
  ): Promise<string> {
    const dir = path.join(this.home, 'tasks', name);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'kolejka_task.json'),
      JSON.stringify({
        image: 'kolejka-test/busybox:latest',
        args: ['sh', '-c', script],
        limits: extra.limits ?? { cpus: 1, memory: '64M', time: '60s' },
        stdout: 'out.txt',
        ...(extra.requires === undefined ? {} : { requires: extra.requires }),
        ...(extra.exclusive === undefined ? {} : { exclusive: extra.exclusive }),
      }),
    );
    return dir;
  }

  /** `kolejka-client ARGS` from the sources, with the client's token and the server URL. */
  runClient(
    url: string,
    args: string[],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [...TS_NODE_ARGS, CLIENT_CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        KOLEJKA_SERVER: url,
        KOLEJKA_TOKEN: this.tokens.client,
        KOLEJKA_LOG_LEVEL: 'warn',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) =>
      child.once('exit', (code) => resolve({ code, stdout, stderr })),
    );
  }

  /** Manager API call (drain, undrain, listing). */
  async manage(url: string, method: string, route: string): Promise<unknown> {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: { Authorization: `Bearer ${this.tokens.manager}` },
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return JSON.parse(text) as unknown;
  }

  async close(): Promise<void> {
    for (const client of this.clients) await client.close().catch(() => undefined);
    for (const foreman of this.foremen) {
      if (foreman.child.exitCode === null && foreman.child.signalCode === null) {
        foreman.child.kill('SIGKILL');
        await foreman.exited;
      }
    }
    for (const server of this.servers) await this.stopServer(server, 'SIGKILL');
    const docker = await createDockerHost();
    for (const foreman of this.foremen)
      await docker.removeContainersLabelled(`${FOREMAN_LABEL}=${foreman.id}`);
    // Unmounts what a killed worker left (a workspace tmpfs) before removing everything.
    await removeWorkDir(this.home, undefined, { isUnmountingFirst: true });
  }
}
