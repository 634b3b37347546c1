import type { IncomingMessage, Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { KolejkaError, type Logger } from '@kolejka/spec';

/**
 * How long a client may take to send a request, and how many connections one address may
 * hold. Together they bound what slow or half-sent requests can pin down: without them
 * 10,000 half-sent bodies held most of the process's descriptors and starved the foremen.
 */
export interface HttpLimits {
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Longest silence while a request body is arriving (a stalled upload is cut off). */
  bodyTimeoutMs: number;
  /** Time to receive a whole request, body included (0: no limit; large slow uploads). */
  requestTimeoutMs: number;
  /** Open connections one client address may hold (WebSockets included); more are refused with 503. */
  maxConnectionsPerAddress: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  requestTimeoutMs: 3_600_000,
  maxConnectionsPerAddress: 256,
};

/** The defaults with the given values over them (undefined ones ignored), checked. */
export function resolveHttpLimits(given: Partial<HttpLimits> = {}): HttpLimits {
  const limits = { ...DEFAULT_HTTP_LIMITS };
  for (const name of Object.keys(limits) as (keyof HttpLimits)[]) {
    const value = given[name];
    if (value === undefined) continue;
    const isZeroAllowed = name === 'requestTimeoutMs';
    if (!Number.isFinite(value) || value < 0 || (value === 0 && !isZeroAllowed))
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `${name} must be a positive number${isZeroAllowed ? ' or 0' : ''}, not ${value}`,
      );
    limits[name] = value;
  }
  return limits;
}

/** Options for `createServer`: Node checks the header and request timeouts on this interval. */
export function httpServerOptions(limits: HttpLimits): ServerOptions {
  const shortest = Math.min(
    limits.headersTimeoutMs,
    limits.requestTimeoutMs === 0 ? Infinity : limits.requestTimeoutMs,
  );
  return { connectionsCheckingInterval: Math.max(50, Math.min(30_000, shortest / 4)) };
}

// Answered to a connection over the cap before any byte of its request is read.
const REFUSAL =
  'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n' +
  'Content-Type: text/plain\r\nContent-Length: 37\r\n\r\nToo many connections from one address';

/** `::ffff:1.2.3.4` and `1.2.3.4` are the same client. */
function addressOf(socket: Socket): string {
  return (socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** Sets the timeouts on `server` and refuses connections over the per-address cap. */
export function applyHttpLimits(server: Server, limits: HttpLimits, logger: Logger): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = 5_000;
  guardBodies(server, limits.bodyTimeoutMs);
  capConnections(server, limits.maxConnectionsPerAddress, logger);
}

/**
 * While a body arrives its socket times out after `bodyTimeoutMs` of silence; Node's own
 * timeout handler then destroys it (nothing else listens). Once the body is in, the
 * handler may take as long as it needs.
 */
function guardBodies(server: Server, bodyTimeoutMs: number): void {
  server.on('request', (req: IncomingMessage) => {
    if (req.complete) return;
    const socket = req.socket;
    socket.setTimeout(bodyTimeoutMs);
    const done = (): void => {
      socket.setTimeout(0);
    };
    req.once('end', done);
    req.once('close', done);
  });
}

/**
 * Counts open connections per address. The HTTP server's own connection listener is
 * wrapped so that a refused socket never reaches the HTTP parser: it gets a fixed 503 and
 * is closed, without reading its request.
 */
function capConnections(server: Server, maxPerAddress: number, logger: Logger): void {
  const open = new Map<string, number>();
  const listeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  let lastWarningAt = 0;
  server.on('connection', (socket: Socket) => {
    const address = addressOf(socket);
    const count = open.get(address) ?? 0;
    if (count >= maxPerAddress) {
      // One line a minute at most: the refusals themselves can come by the thousand.
      if (Date.now() - lastWarningAt > 60_000) {
        lastWarningAt = Date.now();
        logger.warn('connection refused: too many from one address', { address, maxPerAddress });
      }
      socket.on('error', () => undefined);
      // Read and drop the request: the client's FIN must be seen for the socket to close.
      socket.resume();
      socket.end(REFUSAL);
      socket.setTimeout(1000, () => socket.destroy());
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
    for (const listener of listeners) listener.call(server, socket);
  });
}
