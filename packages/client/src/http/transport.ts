import { KolejkaError, type Logger } from '@kolejka/spec';
import { backoffDelayMs, type BackoffPolicy } from '@kolejka/cli-kit/backoff';
import { abortError, sleep } from './abort.js';
import { giveUp, type Failure } from './failures.js';
import { describeNetworkError, isConnectFailure } from './network-errors.js';
import { errorFromResponse, isServerError } from './server-error.js';
import { Watchdog } from './watchdog.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What fetch takes as a body (Node's types have no global `BodyInit`). */
export type BodyInit = NonNullable<RequestInit['body']>;

/** A request body made afresh for every try (a stream cannot be sent twice). */
export interface RequestBody {
  body: BodyInit;
  /** Sent as Content-Length, so the server can refuse an oversized upload at once. */
  length?: number;
  contentType?: string;
  /** A local failure while producing the body (a file read error): never retried. */
  localError?: () => Error | undefined;
}

export interface HttpRequest {
  method: HttpMethod;
  /** Path below the server's base URL, with its query string: `/api/v1/tasks?limit=5`. */
  path: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Streamed body; kick the watchdog as bytes go out. */
  body?: (watchdog: Watchdog) => RequestBody;
  headers?: Record<string, string>;
  /**
   * Safe to send again after a failure in which the server may already have acted on it
   * (reads, content-addressed uploads, fenced result posts). Other requests are resent only
   * when they never reached a server (connection refused, unknown host).
   */
  isIdempotent: boolean;
  /** Statuses handed back as replies instead of errors (the 404 of a HEAD probe). */
  acceptStatuses?: readonly number[];
  /** Leave the reply body unread: the caller streams it (and watches it with `watchdog`). */
  isStreamed?: boolean;
  /** No Authorization header (logging in). */
  isAnonymous?: boolean;
  signal?: AbortSignal;
}

export interface HttpReply {
  response: Response;
  url: string;
  /** The whole body as text, unless the request was streamed. */
  text: string;
  /** Guards the body of a streamed reply: `arm` it, `kick` it per chunk, `disarm` at the end. */
  watchdog: Watchdog;
}

/** How the client finds its credentials; `refresh` gets a new token after a 401. */
export interface AuthProvider {
  authorization(signal?: AbortSignal): Promise<string | undefined>;
  refresh(signal?: AbortSignal): Promise<boolean>;
}

export interface TransportOptions {
  servers: readonly string[];
  fetch: typeof globalThis.fetch;
  auth: AuthProvider;
  logger: Logger;
  /** Retry rounds after the first pass over every server. */
  retries: number;
  backoff: BackoffPolicy;
  /** Deadline for a reply (and for a whole small body). */
  requestTimeoutMs: number;
  /** How long a streamed transfer may make no progress. */
  idleTimeoutMs: number;
  userAgent: string;
}

/** Statuses after which an idempotent request is tried on the next server. */
const RETRY_STATUSES = new Set([502, 503, 504]);

type Outcome = { kind: 'reply'; reply: HttpReply } | { kind: 'failure'; failure: Failure };

/**
 * HTTP to one Kolejka system behind one or more base URLs: fails over between them
 * (remembering the last one that answered), retries with exponential backoff and jitter
 * what is safe to retry, turns error replies into KolejkaErrors and network trouble into
 * KOLEJKA_UNAVAILABLE (naming every URL tried) or KOLEJKA_TIMEOUT.
 */
export class Transport {
  readonly servers: readonly string[];
  readonly #options: TransportOptions;
  #preferred = 0;

  constructor(options: TransportOptions) {
    this.servers = options.servers;
    this.#options = options;
  }

  /** The base URL that answered last (where to open the events channel first). */
  get preferredServer(): string {
    return this.servers[this.#preferred] as string;
  }

  /** Base URLs in the order to try them: the one that answered last first. */
  serversInOrder(): string[] {
    const count = this.servers.length;
    return Array.from(
      { length: count },
      (_, step) => this.servers[(this.#preferred + step) % count] as string,
    );
  }

  markPreferred(server: string): void {
    const index = this.servers.indexOf(server);
    if (index >= 0) this.#preferred = index;
  }

  async send(request: HttpRequest): Promise<HttpReply> {
    try {
      return await this.#sendWithFailover(request);
    } catch (error) {
      if (
        isServerError(error) &&
        error.status === 401 &&
        request.isAnonymous !== true &&
        (await this.#options.auth.refresh(request.signal))
      ) {
        return this.#sendWithFailover(request);
      }
      throw error;
    }
  }

  /** `send` and parse the reply as JSON (`undefined` for an empty body). */
  async json<T>(request: HttpRequest): Promise<T> {
    const reply = await this.send({ ...request, isStreamed: false });
    if (reply.text === '') return undefined as T;
    try {
      return JSON.parse(reply.text) as T;
    } catch (error) {
      throw new KolejkaError(
        'KOLEJKA_INTERNAL',
        `The reply to ${request.method} ${reply.url} is not JSON (is this a Kolejka server?)`,
        { cause: error },
      );
    }
  }

  async #sendWithFailover(request: HttpRequest): Promise<HttpReply> {
    const { retries, backoff, logger } = this.#options;
    const failures: Failure[] = [];
    for (let round = 0; ; round++) {
      let isResendable = true;
      for (const server of this.serversInOrder()) {
        if (request.signal?.aborted) throw abortError(request.signal);
        const outcome = await this.#tryOnce(request, server);
        if (outcome.kind === 'reply') {
          this.markPreferred(server);
          return outcome.reply;
        }
        const failure = outcome.failure;
        failures.push(failure);
        logger.debug('request failed', {
          method: request.method,
          url: failure.url,
          why: failure.message,
        });
        if (failure.kind !== 'unreachable' && !request.isIdempotent) {
          // The server may have acted on it: sending it again could do it twice.
          isResendable = false;
          break;
        }
      }
      if (!isResendable || round >= retries)
        throw giveUp(`${request.method} ${request.path}`, request.isIdempotent, failures, {
          servers: this.servers,
          requestTimeoutMs: this.#options.requestTimeoutMs,
        });
      const pauseMs = backoffDelayMs(backoff, round);
      logger.debug('retrying', {
        method: request.method,
        path: request.path,
        round: round + 1,
        pauseMs,
      });
      await sleep(pauseMs, request.signal);
    }
  }

  async #tryOnce(request: HttpRequest, server: string): Promise<Outcome> {
    const { requestTimeoutMs, idleTimeoutMs } = this.#options;
    const url = `${server}${request.path}`;
    const controller = new AbortController();
    const watchdog = new Watchdog(controller, `${request.method} ${url}`);
    const signal =
      request.signal === undefined
        ? controller.signal
        : AbortSignal.any([controller.signal, request.signal]);
    const headers: Record<string, string> = {
      'user-agent': this.#options.userAgent,
      ...(request.headers ?? {}),
    };
    let produced: RequestBody | undefined;
    try {
      if (request.isAnonymous !== true) {
        const authorization = await this.#options.auth.authorization(request.signal);
        if (authorization !== undefined) headers.authorization = authorization;
      }
      let body: BodyInit | undefined;
      if (request.json !== undefined) {
        body = JSON.stringify(request.json);
        headers['content-type'] = 'application/json';
        watchdog.arm(requestTimeoutMs);
      } else if (request.body !== undefined) {
        produced = request.body(watchdog);
        body = produced.body;
        if (produced.length !== undefined) headers['content-length'] = String(produced.length);
        headers['content-type'] = produced.contentType ?? 'application/octet-stream';
        // While sending, silence counts; the reply deadline starts when the body is out.
        watchdog.arm(idleTimeoutMs);
      } else {
        watchdog.arm(requestTimeoutMs);
      }
      const response = await this.#options.fetch(url, {
        method: request.method,
        headers,
        signal,
        ...(body === undefined ? {} : { body, duplex: 'half' }),
        // To be able to follow a redirect, Node's fetch tees a streamed body and keeps the
        // unread branch: the whole upload ends up in memory (undici issue 4058). A stream
        // cannot be sent again to a redirect's target anyway, so such requests refuse them.
        ...(request.body === undefined ? {} : { redirect: 'error' as const }),
      });
      const isAccepted = response.ok || (request.acceptStatuses ?? []).includes(response.status);
      if (!isAccepted) {
        watchdog.arm(requestTimeoutMs);
        const error = await errorFromResponse(response, request.method, url);
        watchdog.disarm();
        if (RETRY_STATUSES.has(response.status) && request.isIdempotent) {
          return {
            kind: 'failure',
            failure: { kind: 'status', server, url, message: error.message, error },
          };
        }
        throw error;
      }
      let text = '';
      if (request.isStreamed !== true) {
        watchdog.arm(requestTimeoutMs);
        text = request.method === 'HEAD' ? '' : await response.text();
      }
      watchdog.disarm();
      return { kind: 'reply', reply: { response, url, text, watchdog } };
    } catch (error) {
      watchdog.disarm();
      if (isServerError(error)) throw error;
      const local = produced?.localError?.();
      if (local !== undefined) throw local;
      if (request.signal?.aborted) throw abortError(request.signal);
      if (watchdog.hasFired) {
        return {
          kind: 'failure',
          failure: {
            kind: 'timeout',
            server,
            url,
            message: (controller.signal.reason as Error).message,
          },
        };
      }
      if (error instanceof KolejkaError) throw error;
      const message = describeNetworkError(error);
      return {
        kind: 'failure',
        failure: {
          kind: isConnectFailure(error) ? 'unreachable' : 'ambiguous',
          server,
          url,
          message,
        },
      };
    }
  }
}
