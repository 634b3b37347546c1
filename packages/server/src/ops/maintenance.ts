import { noopLogger, type Logger } from '@kolejka/spec';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Store } from '../store/store.js';
import { collectGarbage, type GcReport } from './gc.js';
import { applyRetention } from './retention.js';
import type { RetentionPolicy } from './retention-policy.js';

export interface MaintenanceReport extends GcReport {
  /** Ended tasks deleted by the retention policy. */
  tasksDeleted: number;
}

export interface MaintenanceOptions {
  store: Store;
  blobs: BlobStore;
  retention: RetentionPolicy;
  /** Between the end of one run and the start of the next; 0: never run. */
  intervalMs: number;
  /** Told every run's report (the metrics count them). */
  onReport?: (report: MaintenanceReport) => void;
  clock?: () => Date;
  logger?: Logger;
}

/**
 * What the server does by itself on a schedule: the retention policy, then the gc of
 * `kolejka-server gc` (blobs nothing names any more, orphans, expired sessions, old events).
 * The first run is one interval after the start, so a restart loop never keeps the disk
 * busy; a run that fails is logged and the next one comes all the same.
 */
export class MaintenanceRunner {
  readonly #options: MaintenanceOptions;
  readonly #closing = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: MaintenanceOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#options.intervalMs > 0 && !this.#closing.signal.aborted) this.#arm();
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      this.#running = this.runOnce()
        .catch((error: unknown) => {
          if (this.#closing.signal.aborted) return;
          (this.#options.logger ?? noopLogger).error('maintenance failed', {
            error: (error as Error).message,
          });
        })
        .finally(() => {
          this.#running = undefined;
          if (!this.#closing.signal.aborted) this.#arm();
        });
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** One run now: retention, then gc. */
  async runOnce(): Promise<MaintenanceReport> {
    const { store, blobs, retention, logger = noopLogger } = this.#options;
    const signal = this.#closing.signal;
    const now = (this.#options.clock ?? (() => new Date()))();
    const tasksDeleted = await applyRetention({ store, logger }, retention, now, signal);
    const gc = await collectGarbage({ store, blobs, now, signal, logger });
    const report = { ...gc, tasksDeleted };
    this.#options.onReport?.(report);
    return report;
  }

  /** Stops the schedule and the run in progress (at its next step); idempotent. */
  async close(): Promise<void> {
    this.#closing.abort();
    clearTimeout(this.#timer);
    await this.#running;
  }
}
