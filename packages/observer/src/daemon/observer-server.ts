import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import net, { type Socket } from 'node:net';
import path from 'node:path';
import {
  isKolejkaError,
  noopLogger,
  OBSERVER_SOCKET_PATH,
  type ErrorCode,
  type Logger,
} from '@kolejka/spec';
import type { Cgroups } from '../cgroups/cgroups.js';
import { formatReply } from '../protocol/http-reply.js';
import {
  DEFAULT_HTTP_LIMITS,
  HttpProtocolError,
  parseHttpRequest,
  type HttpLimits,
  type HttpRequest,
} from '../protocol/http-request.js';
import { interpretRequest } from '../protocol/observer-request.js';
import {
  assertPeerCredentialsAvailable,
  peerCredentialsOf,
  type PeerCredentials,
} from '../native/peer-credentials.js';
import { runObserverCommand } from './commands.js';
import { SessionManager } from './session-manager.js';

export interface ObserverServerOptions {
  cgroups: Cgroups;
  /** The unix socket to listen on. Default /var/run/kolejka/observer/socket. */
  socketPath?: string;
  logger?: Logger;
  /** Where /proc is. Default "/proc". */
  procRoot?: string;
  /**
   * Mode of the socket file. Default 0o777, as the original: task containers run as any
   * user. The session secrets, not the socket mode, protect sessions.
   */
  socketMode?: number;
  /** How the caller is identified. Default: SO_PEERCRED through the native addon. */
  peerCredentials?: (socket: Socket) => PeerCredentials;
  /** Monotonic clock in ms (tests). Default `performance.now`. */
  now?: () => number;
  /** Default 300000 ms. */
  closedRetentionMs?: number;
  /** Default 1000 ms. */
  housekeepingIntervalMs?: number;
  /** A connection that sends no complete request for this long is dropped. Default 30000 ms. */
  idleTimeoutMs?: number;
  httpLimits?: Partial<HttpLimits>;
}

export interface ObserverServer {
  readonly socketPath: string;
  readonly sessions: SessionManager;
  /** Creates the socket directory, replaces a stale socket, listens. */
  listen(): Promise<void>;
  /** Stops accepting, closes every session, removes the socket. Idempotent. */
  close(): Promise<void>;
}

const STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  KOLEJKA_VALIDATION: 400,
  KOLEJKA_FORBIDDEN: 403,
  KOLEJKA_UNAUTHORIZED: 403,
  KOLEJKA_NOT_FOUND: 404,
  KOLEJKA_TOO_LARGE: 413,
};

/** HTTP status of an error: 400 bad request, 403 bad secret, 404 unknown, 500 the rest. */
export function statusOfError(error: unknown): number {
  if (error instanceof HttpProtocolError) return error.status;
  if (isKolejkaError(error)) return STATUS_OF_CODE[error.code] ?? 500;
  return 500;
}

function errorBody(error: unknown): Record<string, unknown> {
  const code = isKolejkaError(error)
    ? error.code
    : error instanceof HttpProtocolError
      ? 'KOLEJKA_VALIDATION'
      : 'KOLEJKA_INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  return { status: 'error', error: { code, message } };
}

async function isListening(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** The observer daemon as a library: tests start it in-process on a temporary socket. */
export function createObserverServer(options: ObserverServerOptions): ObserverServer {
  const socketPath = path.resolve(options.socketPath ?? OBSERVER_SOCKET_PATH);
  const logger = options.logger ?? noopLogger;
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.httpLimits };
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const peerCredentials = options.peerCredentials ?? peerCredentialsOf;
  const sessions = new SessionManager({
    cgroups: options.cgroups,
    logger: logger.child({ component: 'sessions' }),
    ...(options.procRoot === undefined ? {} : { procRoot: options.procRoot }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.closedRetentionMs === undefined
      ? {}
      : { closedRetentionMs: options.closedRetentionMs }),
    ...(options.housekeepingIntervalMs === undefined
      ? {}
      : { housekeepingIntervalMs: options.housekeepingIntervalMs }),
  });
  const connections = new Set<Socket>();
  const inFlight = new Set<Promise<void>>();
  // Half-open allowed: a client may shut down its writing side right after the request.
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  let listening = false;
  let closing: Promise<void> | undefined;

  server.on('error', (error) => logger.error('observer socket error', { error }));

  function onConnection(socket: Socket): void {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', (error) => logger.debug('connection error', { error }));
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    // SO_PEERCRED describes whoever called connect(); read it now, the caller may exit soon.
    let caller: PeerCredentials | Error;
    try {
      caller = peerCredentials(socket);
    } catch (error) {
      caller = error as Error;
    }
    let buffered: Buffer = Buffer.alloc(0);
    let isHandled = false;
    const reply = (status: number, body: unknown, head = false): void => {
      if (!socket.destroyed) socket.end(formatReply(status, body, { head }));
    };
    socket.on('data', (chunk: Buffer) => {
      if (isHandled) return;
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let parsed;
      try {
        parsed = parseHttpRequest(buffered, limits);
      } catch (error) {
        isHandled = true;
        reply(statusOfError(error), errorBody(error));
        return;
      }
      if (parsed === undefined) return;
      isHandled = true;
      socket.pause();
      const handling = handle(parsed.request, caller, reply).finally(() =>
        inFlight.delete(handling),
      );
      inFlight.add(handling);
    });
    socket.on('end', () => {
      if (!isHandled) {
        isHandled = true;
        if (buffered.length === 0) socket.end();
        else
          reply(
            400,
            errorBody(new HttpProtocolError(400, 'the connection ended inside a request')),
          );
      }
    });
  }

  async function handle(
    request: HttpRequest,
    caller: PeerCredentials | Error,
    reply: (status: number, body: unknown, head?: boolean) => void,
  ): Promise<void> {
    const startedMs = performance.now();
    let status = 200;
    let body: unknown;
    let command: string | undefined;
    try {
      const interpreted = interpretRequest(request);
      if (interpreted.kind === 'head') {
        await sessions.housekeeping();
        reply(200, undefined, true);
        return;
      }
      if (interpreted.kind === 'command') {
        command = interpreted.command;
        body = await runObserverCommand(sessions, interpreted.command, interpreted.params, () => {
          if (caller instanceof Error) throw caller;
          return caller.pid;
        });
      }
    } catch (error) {
      status = statusOfError(error);
      body = errorBody(error);
      const meta = { command, status, error };
      if (status >= 500) logger.error('request failed', meta);
      else logger.info('request refused', meta);
    }
    // One write, after the command finished (for attach: after the move).
    reply(status, body);
    logger.debug('request', {
      method: request.method,
      command,
      pid: caller instanceof Error ? undefined : caller.pid,
      status,
      ms: Math.round((performance.now() - startedMs) * 10) / 10,
    });
  }

  async function listen(): Promise<void> {
    if (listening) return;
    if (options.peerCredentials === undefined) assertPeerCredentialsAvailable();
    await mkdir(path.dirname(socketPath), { recursive: true });
    const existing = await lstat(socketPath).catch(() => undefined);
    if (existing !== undefined) {
      if (!existing.isSocket()) {
        throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
      }
      if (await isListening(socketPath)) {
        throw new Error(`another observer is already listening on ${socketPath}`);
      }
      await unlink(socketPath);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    listening = true;
    await chmod(socketPath, options.socketMode ?? 0o777);
    sessions.start();
    logger.info('observer listening', { socket: socketPath, cgroups: options.cgroups.version });
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      // Stop accepting now; idle connections are cut once the running requests are answered.
      const stopped = listening
        ? new Promise<void>((resolve) => server.close(() => resolve()))
        : Promise.resolve();
      await Promise.allSettled([...inFlight]);
      await sessions.shutdown();
      for (const socket of connections) socket.destroy();
      await stopped;
      if (listening) await unlink(socketPath).catch(() => undefined);
      listening = false;
      logger.info('observer stopped', { socket: socketPath });
    })();
    return closing;
  }

  return { socketPath, sessions, listen, close };
}
