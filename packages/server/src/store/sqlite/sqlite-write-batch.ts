import type { SqliteDb } from './sqlite-db.js';

/** Writes grouped into one transaction at most; more wait for the next one. */
export const MAX_WRITES_PER_TRANSACTION = 256;

interface PendingWrite {
  doing: string;
  fn: (db: SqliteDb) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  outcome: { isOk: true; value: unknown } | { isOk: false; error: unknown } | undefined;
}

/** What the group commit did so far (tests and diagnostics). */
export interface WriteBatchStats {
  /** Transactions that committed. */
  transactions: number;
  /** Writes answered (committed, refused or failed). */
  writes: number;
  /** The most writes one transaction carried. */
  largestBatch: number;
}

/**
 * Group commit: every write issued during one turn of the event loop runs in ONE
 * `BEGIN IMMEDIATE … COMMIT`, each inside its own SAVEPOINT, so one write's refusal or error
 * is rolled back alone and every caller gets exactly its own answer — after the COMMIT, so
 * nothing is acknowledged that a crash could still lose. A commit (and the WAL pages it
 * writes) costs about as much as the writes themselves, and a busy server issues many small
 * ones per turn (claims of one dispatch pass, `task:started` of many foremen, results).
 * Order is kept: writes run in the order they were issued, and `flush()` runs before any
 * read of the same connection, so a read always sees the writes issued before it.
 */
export class SqliteWriteBatch {
  private pending: PendingWrite[] = [];
  private isScheduled = false;
  private isFlushing = false;
  readonly stats: WriteBatchStats = { transactions: 0, writes: 0, largestBatch: 0 };

  constructor(
    private readonly db: SqliteDb,
    /** Called after each commit (wakes this process's waiters for changes). */
    private readonly onCommit: () => void,
  ) {}

  /** Queues a write for the transaction of this turn; resolves with its own result after COMMIT. */
  enqueue<T>(doing: string, fn: (db: SqliteDb) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({
        doing,
        fn,
        resolve: resolve as (value: unknown) => void,
        reject,
        outcome: undefined,
      });
      if (!this.isScheduled) {
        this.isScheduled = true;
        // After the I/O callbacks of this turn: writes of every socket read meanwhile join.
        setImmediate(() => this.flush());
      }
    });
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Runs every queued write now (synchronously), in transactions of bounded size. */
  flush(): void {
    // A write that reads through the store would land here inside the transaction.
    if (this.isFlushing) return;
    this.isScheduled = false;
    this.isFlushing = true;
    try {
      while (this.pending.length > 0) {
        const writes = this.pending.splice(0, MAX_WRITES_PER_TRANSACTION);
        this.commit(writes);
      }
    } finally {
      this.isFlushing = false;
    }
  }

  private commit(writes: PendingWrite[]): void {
    const { db } = this;
    let failure: { error: unknown } | undefined;
    try {
      db.beginBatch();
    } catch (error) {
      failure = { error };
    }
    if (failure === undefined) {
      for (const write of writes) {
        try {
          write.outcome = { isOk: true, value: db.inSavepoint(() => write.fn(db)) };
        } catch (error) {
          write.outcome = { isOk: false, error };
          // SQLite rolls the whole transaction back by itself on some errors (I/O, disk
          // full, out of memory): what the writes before did is gone, none may succeed.
          if (!db.connection.inTransaction) {
            failure = { error };
            break;
          }
        }
      }
      if (failure === undefined) {
        try {
          db.commitBatch();
        } catch (error) {
          failure = { error };
        }
      }
      db.endBatch();
    }
    this.stats.writes += writes.length;
    if (failure === undefined) {
      this.stats.transactions++;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, writes.length);
      this.onCommit();
    }
    for (const write of writes) {
      const outcome =
        failure === undefined ? write.outcome : { isOk: false as const, error: failure.error };
      if (outcome?.isOk === true) write.resolve(outcome.value);
      else write.reject(db.mapError(outcome?.error, write.doing));
    }
  }
}
