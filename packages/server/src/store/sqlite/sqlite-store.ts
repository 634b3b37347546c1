import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { KolejkaError, noopLogger, type Logger } from '@kolejka/spec';
import { StoreFacade, bindStore } from '../store-facade.js';
import type { EngineFunctions, StoreOperation } from '../store-operations.js';
import type { Store } from '../store.js';
import * as accounts from './sqlite-accounts.js';
import * as blobs from './sqlite-blobs.js';
import { SqliteChangeWatcher } from './sqlite-change-watcher.js';
import { SqliteDb, type SqliteSynchronous } from './sqlite-db.js';
import * as dependencies from './sqlite-dependencies.js';
import * as events from './sqlite-events.js';
import * as foremen from './sqlite-foremen.js';
import * as schedules from './sqlite-schedules.js';
import { migrate, SCHEMA_VERSION } from './sqlite-schema.js';
import * as queueControl from './sqlite-queue-control.js';
import * as tasks from './sqlite-tasks.js';
import * as transitions from './sqlite-transitions.js';
import { SqliteWriteBatch, type WriteBatchStats } from './sqlite-write-batch.js';

/**
 * Every store operation of this engine: the area modules export one function per operation,
 * named after it (their other exports are not operations and go unused here).
 */
const SQLITE_FUNCTIONS: EngineFunctions<SqliteDb, 'sync'> = {
  ...accounts,
  ...blobs,
  ...events,
  ...foremen,
  ...tasks,
  ...transitions,
  ...queueControl,
  ...schedules,
  ...dependencies,
};

export interface SqliteStoreOptions {
  /** The database file (created with its directory when missing), or `:memory:`. */
  path: string;
  /** How long a write waits for another connection's lock before KOLEJKA_UNAVAILABLE. Default 5000. */
  busyTimeoutMs?: number;
  /** How often `waitForChange` looks at `PRAGMA data_version` while someone waits. Default 10. */
  pollIntervalMs?: number;
  /**
   * `full`: every commit is synced to disk before it is acknowledged (survives a power
   * cut). `normal`: synced at checkpoints (survives a process crash only). Default `full`.
   */
  synchronous?: SqliteSynchronous;
  logger?: Logger;
}

export interface ResolvedSqliteStoreOptions {
  path: string;
  busyTimeoutMs: number;
  pollIntervalMs: number;
  synchronous: SqliteSynchronous;
  logger: Logger;
}

export function resolveSqliteStoreOptions(options: SqliteStoreOptions): ResolvedSqliteStoreOptions {
  return {
    path: options.path,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    pollIntervalMs: options.pollIntervalMs ?? 10,
    synchronous: options.synchronous ?? 'full',
    logger: options.logger ?? noopLogger,
  };
}

/** Opens (creating and migrating when needed) the embedded SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  // Synchronous inside (better-sqlite3); async so that failures arrive as rejections.
  return new Promise((resolve) => resolve(new SqliteStore(resolveSqliteStoreOptions(options))));
}

/**
 * The embedded store: one SQLite file in WAL mode. Several processes may open the same file;
 * writes are IMMEDIATE transactions, so they never interleave. better-sqlite3 is
 * synchronous: reads finish inside their method; writes are grouped per event-loop turn into
 * one transaction (group commit, see SqliteWriteBatch) and answered after its COMMIT.
 */
export class SqliteStore extends StoreFacade implements Store {
  readonly options: ResolvedSqliteStoreOptions;
  private readonly db: SqliteDb;
  private readonly watcher: SqliteChangeWatcher;
  private readonly batch: SqliteWriteBatch;
  private isClosed = false;

  constructor(options: ResolvedSqliteStoreOptions) {
    super();
    this.options = options;
    if (options.path !== ':memory:' && !options.path.startsWith('file:'))
      createPrivateFile(options.path);
    this.db = new SqliteDb(options.path, options.busyTimeoutMs, options.synchronous);
    try {
      const from = migrate(this.db, options.path);
      if (from !== SCHEMA_VERSION)
        options.logger.info('store schema migrated', {
          path: options.path,
          from,
          to: SCHEMA_VERSION,
        });
    } catch (error) {
      this.db.close();
      throw this.db.mapError(error, `migrate the SQLite database ${options.path}`);
    }
    const dataVersion = this.db.connection.prepare('PRAGMA data_version').pluck();
    this.watcher = new SqliteChangeWatcher(
      () => dataVersion.get() as number,
      () => events.lastEventSeq(this.db),
      options.pollIntervalMs,
    );
    this.batch = new SqliteWriteBatch(this.db, () => this.watcher.notifyLocal());
    Object.assign(
      this,
      bindStore(SQLITE_FUNCTIONS, (operation, call) => this.perform(operation, call)),
    );
  }

  /** What the group commit did so far: transactions, writes, the largest batch. */
  /** The connection's journal mode and sync level as SQLite reports them (logs, tests). */
  connectionSettings(): { journalMode: string; synchronous: string } {
    const pragma = (name: string): unknown => this.db.connection.pragma(name, { simple: true });
    const synchronous = ['off', 'normal', 'full', 'extra'][Number(pragma('synchronous'))];
    return { journalMode: String(pragma('journal_mode')), synchronous: synchronous ?? 'unknown' };
  }

  get writeStats(): Readonly<WriteBatchStats> {
    return this.batch.stats;
  }

  /**
   * Runs one synchronous engine call (a read, or a rare write that is its own transaction)
   * with the closed check and error mapping, after the writes issued before it.
   */
  private run<T>(doing: string, fn: (db: SqliteDb) => T): Promise<T> {
    return new Promise((resolve) => {
      if (this.isClosed) throw new KolejkaError('KOLEJKA_UNAVAILABLE', 'The store is closed');
      if (this.batch.hasPending) this.batch.flush();
      try {
        resolve(fn(this.db));
      } catch (error) {
        throw this.db.mapError(error, doing);
      }
    });
  }

  /** A write: joins the group commit of this turn (one transaction, its own savepoint). */
  private change<T>(doing: string, fn: (db: SqliteDb) => T): Promise<T> {
    if (this.isClosed)
      return Promise.reject(new KolejkaError('KOLEJKA_UNAVAILABLE', 'The store is closed'));
    return this.batch.enqueue(doing, fn);
  }

  /** Reads run at once; writes join the group commit. */
  private perform<T>(operation: StoreOperation, call: (db: SqliteDb) => T): Promise<T> {
    return operation.mode === 'write'
      ? this.change(operation.doing, call)
      : this.run(operation.doing, call);
  }

  waitForChange(timeoutMs: number, signal?: AbortSignal, afterSeq?: number): Promise<void> {
    return this.run('wait for a change', () => this.watcher).then((watcher) =>
      watcher.wait(timeoutMs, signal, afterSeq),
    );
  }

  /** Runs `PRAGMA integrity_check`; returns the problems found (empty when the file is sound). */
  checkIntegrity(): Promise<string[]> {
    return this.run('check the database', (db) =>
      (db.connection.pragma('integrity_check', { simple: false }) as { integrity_check: string }[])
        .map((row) => row.integrity_check)
        .filter((line) => line !== 'ok'),
    );
  }

  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    // Writes issued before close are answered (committed) first.
    this.batch.flush();
    this.isClosed = true;
    this.watcher.close();
    this.db.close();
    return Promise.resolve();
  }
}

/**
 * Creates the database file (and its directories) readable by its owner only: tasks,
 * results and password hashes live there. SQLite gives the -wal and -shm files the mode of
 * the database. An existing file keeps its mode.
 */
function createPrivateFile(file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'a', 0o600));
  } catch {
    // Unwritable (a read-only copy, a directory): SQLite's own error says it better.
  }
}
