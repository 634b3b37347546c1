import { noopLogger, type Logger } from '@kolejka/spec';
import type { QueuePauseRecord, Store } from '../store/store.js';

/**
 * How often every server process re-reads the pauses. A short poll rather than a store
 * event: the event log is per task (a pause is no task state and has no task key), and the
 * pauses are a handful of rows, so reading them twice a second costs next to nothing on
 * either engine while another process learns a pause within half a second. The process
 * that takes the pause applies it at once (`refresh` after the write).
 */
export const QUEUE_PAUSE_POLL_MS = 500;

/** The queue pauses in force, as one server process last read them from the store. */
export class QueuePauses {
  private isAllPaused = false;
  private pausedTags = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<Store, 'listQueuePauses'>,
    /** Called when a pause was lifted (tasks it held may be assigned now). */
    private readonly onLifted: () => void,
    private readonly logger: Logger = noopLogger,
  ) {}

  get isQueuePaused(): boolean {
    return this.isAllPaused;
  }

  /** Whether a task requiring these tags is held (the whole queue, or one of its tags). */
  holds(requires: readonly string[]): boolean {
    if (this.isAllPaused) return true;
    if (this.pausedTags.size === 0) return false;
    return requires.some((tag) => this.pausedTags.has(tag));
  }

  /** Reads the pauses now; resolves when they are applied here. */
  refresh(): Promise<void> {
    this.refreshing ??= this.read().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  start(): Promise<void> {
    this.timer ??= setInterval(() => void this.refresh(), QUEUE_PAUSE_POLL_MS);
    this.timer.unref();
    return this.refresh();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
  }

  private async read(): Promise<void> {
    let pauses: QueuePauseRecord[];
    try {
      pauses = await this.store.listQueuePauses();
    } catch (error) {
      // Keep the last known state: a store hiccup must neither start nor stop assignment.
      this.logger.warn('could not read queue pauses', { error: String(error) });
      return;
    }
    const wasAllPaused = this.isAllPaused;
    const tags = new Set(pauses.flatMap((pause) => (pause.tag === undefined ? [] : [pause.tag])));
    const isLifted =
      (wasAllPaused && !pauses.some((pause) => pause.tag === undefined)) ||
      [...this.pausedTags].some((tag) => !tags.has(tag));
    this.isAllPaused = pauses.some((pause) => pause.tag === undefined);
    this.pausedTags = tags;
    if (isLifted) this.onLifted();
  }
}
