import type { ChangeStream, ChangeStreamInsertDocument, Collection } from 'mongodb';
import type { Logger } from '@kolejka/spec';
import type { EventDoc } from './mongo-docs.js';

type EventStream = ChangeStream<EventDoc, ChangeStreamInsertDocument<EventDoc>>;

/**
 * `waitForChange` for MongoDB: one change stream on the events collection per store, opened
 * by the first wait and kept until `close()`. It is established (its first round-trip done)
 * before a waiter compares seqs, so an event committed after that comparison is delivered by
 * the stream and one committed before it is seen by the comparison.
 */
export class MongoChangeWatcher {
  private readonly waiters = new Set<Waiter>();
  private ready: Promise<EventStream> | undefined;
  private stream: EventStream | undefined;
  private isClosed = false;

  constructor(
    private readonly events: Collection<EventDoc>,
    private readonly lastSeq: () => Promise<number>,
    private readonly logger: Logger,
  ) {}

  async wait(timeoutMs: number, signal?: AbortSignal, afterSeq?: number): Promise<void> {
    if (this.isClosed || signal?.aborted === true) return;
    await this.established();
    let resolveWait!: () => void;
    const done = new Promise<void>((resolve) => (resolveWait = resolve));
    const waiter: Waiter = {
      afterSeq,
      resolve: () => {
        this.waiters.delete(waiter);
        clearTimeout(timeout);
        signal?.removeEventListener('abort', waiter.resolve);
        resolveWait();
      },
    };
    const timeout = setTimeout(waiter.resolve, Math.max(0, timeoutMs));
    signal?.addEventListener('abort', waiter.resolve, { once: true });
    // Registered before the comparison: an event arriving meanwhile wakes it.
    this.waiters.add(waiter);
    if (afterSeq !== undefined && (await this.lastSeq()) > afterSeq) waiter.resolve();
    return done;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    for (const waiter of [...this.waiters]) waiter.resolve();
    const stream = this.stream ?? (await this.ready?.catch(() => undefined));
    this.stream = undefined;
    await stream?.close();
  }

  private established(): Promise<EventStream> {
    this.ready ??= (async () => {
      const stream = this.events.watch<EventDoc, ChangeStreamInsertDocument<EventDoc>>([
        { $match: { operationType: 'insert' } },
      ]);
      try {
        // The first call sends the aggregate that opens the stream; changes it may return
        // predate every waiter (which compares seqs next), so they can be dropped.
        await stream.tryNext();
      } catch (error) {
        await stream.close().catch(() => undefined);
        throw error;
      }
      this.stream = stream;
      void this.pump(stream);
      return stream;
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  private async pump(stream: EventStream): Promise<void> {
    try {
      while (!this.isClosed) {
        const change = await stream.next();
        const seq = change.fullDocument._id;
        for (const waiter of [...this.waiters])
          if (waiter.afterSeq === undefined || seq > waiter.afterSeq) waiter.resolve();
      }
    } catch (error) {
      if (this.isClosed) return;
      // The driver resumes by itself after resumable errors; this one was not: reopen on the
      // next wait, and let the current waiters re-check.
      this.logger.warn('event change stream stopped', { error: (error as Error).message });
      this.stream = undefined;
      this.ready = undefined;
      await stream.close().catch(() => undefined);
      for (const waiter of [...this.waiters]) waiter.resolve();
    }
  }
}

interface Waiter {
  afterSeq: number | undefined;
  resolve: () => void;
}
