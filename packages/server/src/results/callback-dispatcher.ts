import { setTimeout as sleep } from 'node:timers/promises';
import { noopLogger, type Logger } from '@kolejka/spec';
import { resolvesToLoopback } from '../http/loopback.js';
import type { ServerSettings } from '../server-settings.js';
import type { ResultRecord, TaskRecord } from '../store/store.js';

export interface CallbackDispatcherOptions {
  settings: Pick<
    ServerSettings,
    | 'callbackHosts'
    | 'callbackLoopback'
    | 'callbackAttempts'
    | 'callbackBackoffMs'
    | 'callbackTimeoutMs'
    | 'callbackUserAgent'
  >;
  logger?: Logger;
}

/** Where a callback goes, for logs: no query string (it may carry a secret). */
function shownUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * Calls a task's `callback_url` after its result is stored: outside the request that
 * posted the result, with retries and exponential backoff, one log line per attempt. The
 * body is the original's `{"task": ..., "result": ...}`; only allow-listed hosts are called.
 */
export class CallbackDispatcher {
  readonly #settings: CallbackDispatcherOptions['settings'];
  readonly #logger: Logger;
  readonly #pending = new Set<Promise<void>>();
  readonly #closing = new AbortController();

  constructor(options: CallbackDispatcherOptions) {
    this.#settings = options.settings;
    this.#logger = options.logger ?? noopLogger;
  }

  /** Starts delivering the callback of a finished task, if it has one; never throws. */
  schedule(task: TaskRecord, result: ResultRecord): void {
    const target = task.spec.callback_url;
    if (target === undefined || this.#closing.signal.aborted) return;
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      this.#logger.warn('callback skipped: not a URL', { task: task.key });
      return;
    }
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    if (
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      !this.#settings.callbackHosts.includes(host)
    ) {
      this.#logger.warn('callback skipped: host not allowed', { task: task.key, host });
      return;
    }
    const body = JSON.stringify({ task: task.spec, result: result.spec });
    const delivery = this.#deliver(task.key, url, body).finally(() =>
      this.#pending.delete(delivery),
    );
    this.#pending.add(delivery);
  }

  async #deliver(taskKey: string, url: URL, body: string): Promise<void> {
    const { callbackAttempts, callbackBackoffMs, callbackTimeoutMs, callbackUserAgent } =
      this.#settings;
    const meta = { task: taskKey, url: shownUrl(url) };
    // Also a listed name that resolves to this machine (checked again at every delivery:
    // DNS answers change). A resolver that lies between this and fetch's own lookup is
    // beyond this check.
    if (!this.#settings.callbackLoopback && (await resolvesToLoopback(url.hostname))) {
      this.#logger.warn('callback skipped: host on loopback', meta);
      return;
    }
    for (let attempt = 1; attempt <= callbackAttempts; attempt++) {
      const willRetry = attempt < callbackAttempts;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': callbackUserAgent },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([this.#closing.signal, AbortSignal.timeout(callbackTimeoutMs)]),
        });
        await response.body?.cancel();
        if (response.ok) {
          this.#logger.info('callback delivered', { ...meta, attempt, status: response.status });
          return;
        }
        this.#logger.warn('callback refused', {
          ...meta,
          attempt,
          status: response.status,
          willRetry,
        });
      } catch (error) {
        if (this.#closing.signal.aborted) {
          this.#logger.warn('callback abandoned at shutdown', { ...meta, attempt });
          return;
        }
        this.#logger.warn('callback failed', {
          ...meta,
          attempt,
          error: (error as Error).message,
          willRetry,
        });
      }
      if (!willRetry) break;
      try {
        await sleep(callbackBackoffMs * 2 ** (attempt - 1), undefined, {
          signal: this.#closing.signal,
        });
      } catch {
        this.#logger.warn('callback abandoned at shutdown', { ...meta, attempt });
        return;
      }
    }
    this.#logger.error('callback gave up', { ...meta, attempts: callbackAttempts });
  }

  /** Resolves when no callback is in flight or waiting to retry (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Stops retrying and aborts requests in flight; idempotent. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.idle();
  }
}
