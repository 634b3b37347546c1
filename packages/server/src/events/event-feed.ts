import { noopLogger, type Logger } from '@kolejka/spec';
import type { Store, TaskEvent } from '../store/store.js';

/** Gets every batch of new task events, in log order; awaited before the next batch. */
export type EventConsumer = (events: readonly TaskEvent[]) => Promise<void> | void;

export interface EventFeedOptions {
  store: Store;
  logger?: Logger;
  /** Events read per batch. Default 1000. */
  batchSize?: number;
  /**
   * The longest wait for a change before the log is read again anyway (the fallback sweep
   * when a notification is missed, e.g. a MongoDB change stream being re-established). Default 1000 ms.
   */
  sweepIntervalMs?: number;
  /** Pause after a store failure before trying again. Default 1000 ms. */
  retryMs?: number;
}

/**
 * Follows the store's event log — the one way every server process learns what the others
 * did: tasks submitted, claimed, cancelled, finished. Wakes on `waitForChange` (SQLite:
 * `PRAGMA data_version`; MongoDB: a change stream) and hands each batch to the consumers.
 */
export class EventFeed {
  private readonly consumers: EventConsumer[] = [];
  private readonly controller = new AbortController();
  private readonly logger: Logger;
  private running: Promise<void> | undefined;
  private seq = 0;
  private readonly caughtUp = new Set<{ seq: number; resolve: () => void }>();

  constructor(private readonly options: EventFeedOptions) {
    this.logger = options.logger ?? noopLogger;
  }

  /** The seq of the last event handed to the consumers. */
  get lastSeq(): number {
    return this.seq;
  }

  subscribe(consumer: EventConsumer): void {
    this.consumers.push(consumer);
  }

  /** Starts following the log after `fromSeq` (the caller read the state up to it). */
  start(fromSeq: number): void {
    if (this.running !== undefined) return;
    this.seq = fromSeq;
    this.running = this.loop();
  }

  /** Resolves once every event up to `seq` was handed out (or the feed closed). */
  reached(seq: number): Promise<void> {
    if (this.seq >= seq || this.controller.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.caughtUp.add({ seq, resolve }));
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.running;
    for (const waiter of this.caughtUp) waiter.resolve();
    this.caughtUp.clear();
  }

  private async loop(): Promise<void> {
    const { store } = this.options;
    const signal = this.controller.signal;
    const batchSize = this.options.batchSize ?? 1000;
    const sweepMs = this.options.sweepIntervalMs ?? 1000;
    while (!signal.aborted) {
      try {
        const events = await store.readEvents(this.seq, batchSize);
        if (events.length > 0) {
          for (const consumer of this.consumers) {
            try {
              await consumer(events);
            } catch (error) {
              // One consumer's bug must not stop the feed of the others.
              this.logger.error('event consumer failed', { error: String(error) });
            }
          }
          this.seq = events[events.length - 1]?.seq ?? this.seq;
          for (const waiter of this.caughtUp)
            if (waiter.seq <= this.seq) {
              this.caughtUp.delete(waiter);
              waiter.resolve();
            }
          // A full batch: more are waiting. Otherwise waitForChange (given the seq) answers at
          // once when something came meanwhile, for less than an empty read costs.
          if (events.length === batchSize) continue;
        }
        await store.waitForChange(sweepMs, signal, this.seq);
        // Let the I/O already queued run first: writes arriving together are read as one batch.
        await new Promise((resolve) => setImmediate(resolve));
      } catch (error) {
        if (signal.aborted) break;
        this.logger.warn('reading the event log failed', { error: (error as Error).message });
        await sleep(this.options.retryMs ?? 1000, signal);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
