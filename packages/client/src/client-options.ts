import { createRequire } from 'node:module';
import {
  KolejkaError,
  assertSchema,
  noopLogger,
  parseLimits,
  type Limits,
  type LimitsJson,
  type Logger,
} from '@kolejka/spec';
import { defaultWebSocketFactory, type WebSocketFactory } from './events/events-socket.js';
import { parseServerUrls } from './server-urls.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export interface KolejkaClientOptions {
  /**
   * Base URL(s) of one Kolejka system, as an array or a comma-separated list
   * (`http://a:8000,http://b:8000`). Requests fail over between them. A bare host name gets
   * `https://`.
   */
  server: string | readonly string[];
  /** API token (`Authorization: Bearer …`). */
  token?: string;
  /** With `password` and no token: logged in for a token at the first request (the token is
   * revoked again by `close()`). */
  username?: string;
  password?: string;
  /** Limits applied to every task put (the original client's config limits): each is the
   * smaller of the task's and this value; a task that omits one gets it. */
  limits?: Limits | LimitsJson;
  /** Default: no logging. */
  logger?: Logger;
  /** HTTP implementation. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Opens the events WebSocket. Default: the `ws` package. */
  webSocket?: WebSocketFactory;
  /** Retry rounds over all servers after the first, for requests safe to repeat. Default 4. */
  retries?: number;
  /** First retry pause before jitter; doubles per round. Default 250 ms. */
  retryBaseMs?: number;
  /** Longest retry pause. Default 5 s. */
  retryMaxMs?: number;
  /** Deadline for a reply. Default 30 s. */
  requestTimeoutMs?: number;
  /** How long an upload or download may make no progress. Default 60 s. */
  idleTimeoutMs?: number;
  /** Polling period when the events channel is unavailable. Default 1 s. */
  pollIntervalMs?: number;
  /** Pings on the events channel; a silent server is dropped after two. Default 20 s. */
  pingIntervalMs?: number;
  /** Files uploaded or downloaded at once. Default 4. */
  concurrency?: number;
  /** Label of tokens this client logs in for. Default `kolejka-client`. */
  tokenLabel?: string;
}

export interface ResolvedClientOptions {
  servers: string[];
  token: string | undefined;
  username: string | undefined;
  password: string | undefined;
  limits: Limits;
  logger: Logger;
  fetch: typeof globalThis.fetch;
  webSocket: WebSocketFactory;
  retries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  pollIntervalMs: number;
  pingIntervalMs: number;
  concurrency: number;
  tokenLabel: string;
  userAgent: string;
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Client option ${name} must be a number of at least ${min}, not ${String(value)}`,
    );
  }
  return value;
}

/** Limits in either form: parsed numbers read the same in the grammar (bytes, seconds). */
function clientLimits(limits: Limits | LimitsJson | undefined): Limits {
  if (limits === undefined) return {};
  assertSchema('limits', limits, 'client limits');
  return parseLimits(limits);
}

export function resolveClientOptions(options: KolejkaClientOptions): ResolvedClientOptions {
  const hasPassword = options.username !== undefined && options.password !== undefined;
  return {
    servers: parseServerUrls(options.server),
    token: options.token === '' ? undefined : options.token,
    username: hasPassword ? options.username : undefined,
    password: hasPassword ? options.password : undefined,
    limits: clientLimits(options.limits),
    logger: options.logger ?? noopLogger,
    fetch: options.fetch ?? globalThis.fetch,
    webSocket: options.webSocket ?? defaultWebSocketFactory,
    retries: count('retries', options.retries, 4, 0),
    retryBaseMs: count('retryBaseMs', options.retryBaseMs, 250, 0),
    retryMaxMs: count('retryMaxMs', options.retryMaxMs, 5000, 0),
    requestTimeoutMs: count('requestTimeoutMs', options.requestTimeoutMs, 30_000, 1),
    idleTimeoutMs: count('idleTimeoutMs', options.idleTimeoutMs, 60_000, 1),
    pollIntervalMs: count('pollIntervalMs', options.pollIntervalMs, 1000, 1),
    pingIntervalMs: count('pingIntervalMs', options.pingIntervalMs, 20_000, 10),
    concurrency: Math.floor(count('concurrency', options.concurrency, 4, 1)),
    tokenLabel: options.tokenLabel ?? 'kolejka-client',
    userAgent: `kolejka-client/${version} node/${process.versions.node}`,
  };
}
