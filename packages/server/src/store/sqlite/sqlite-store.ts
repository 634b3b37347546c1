import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { KolejkaError, noopLogger, type Logger } from '@kolejka/spec';
import { assertLimit } from '../store-rules.js';
import type {
  BlobRecord,
  Claim,
  ExpiredLease,
  FinishOutcome,
  ForemanChanges,
  ForemanRecord,
  Page,
  ReferenceRecord,
  ResultRecord,
  Role,
  SessionRecord,
  Store,
  TaskEvent,
  TaskFilter,
  TaskRecord,
  TaskState,
  TokenRecord,
  UserRecord,
} from '../store.js';
import * as accounts from './sqlite-accounts.js';
import * as blobs from './sqlite-blobs.js';
import { SqliteChangeWatcher } from './sqlite-change-watcher.js';
import { SqliteDb } from './sqlite-db.js';
import * as events from './sqlite-events.js';
import * as foremen from './sqlite-foremen.js';
import { migrate, SCHEMA_VERSION } from './sqlite-schema.js';
import * as tasks from './sqlite-tasks.js';
import * as transitions from './sqlite-transitions.js';
import { SqliteWriteBatch, type WriteBatchStats } from './sqlite-write-batch.js';

export interface SqliteStoreOptions {
  /** The database file (created with its directory when missing), or `:memory:`. */
  path: string;
  /** How long a write waits for another connection's lock before KOLEJKA_UNAVAILABLE. Default 5000. */
  busyTimeoutMs?: number;
  /** How often `waitForChange` looks at `PRAGMA data_version` while someone waits. Default 10. */
  pollIntervalMs?: number;
  logger?: Logger;
}

export interface ResolvedSqliteStoreOptions {
  path: string;
  busyTimeoutMs: number;
  pollIntervalMs: number;
  logger: Logger;
}

export function resolveSqliteStoreOptions(options: SqliteStoreOptions): ResolvedSqliteStoreOptions {
  return {
    path: options.path,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    pollIntervalMs: options.pollIntervalMs ?? 10,
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
export class SqliteStore implements Store {
  readonly options: ResolvedSqliteStoreOptions;
  private readonly db: SqliteDb;
  private readonly watcher: SqliteChangeWatcher;
  private readonly batch: SqliteWriteBatch;
  private isClosed = false;

  constructor(options: ResolvedSqliteStoreOptions) {
    this.options = options;
    if (options.path !== ':memory:' && !options.path.startsWith('file:'))
      mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    this.db = new SqliteDb(options.path, options.busyTimeoutMs);
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
  }

  /** What the group commit did so far: transactions, writes, the largest batch. */
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

  // Users, tokens, sessions -------------------------------------------------------------------
  createUser(user: UserRecord): Promise<void> {
    return this.change('create a user', (db) => accounts.createUser(db, user));
  }
  getUser(username: string): Promise<UserRecord | undefined> {
    return this.run('read a user', (db) => accounts.getUser(db, username));
  }
  listUsers(): Promise<UserRecord[]> {
    return this.run('list users', (db) => accounts.listUsers(db));
  }
  updateUser(
    username: string,
    changes: { roles?: Role[]; passwordHash?: string | null },
  ): Promise<boolean> {
    return this.change('update a user', (db) => accounts.updateUser(db, username, changes));
  }
  removeUser(username: string): Promise<boolean> {
    return this.change('remove a user', (db) => accounts.removeUser(db, username));
  }
  createToken(token: TokenRecord): Promise<void> {
    return this.change('create a token', (db) => accounts.createToken(db, token));
  }
  useToken(tokenHash: string, now: Date): Promise<TokenRecord | undefined> {
    return this.run('use a token', (db) => accounts.useToken(db, tokenHash, now));
  }
  listTokens(username?: string): Promise<TokenRecord[]> {
    return this.run('list tokens', (db) => accounts.listTokens(db, username));
  }
  revokeToken(id: string): Promise<boolean> {
    return this.change('revoke a token', (db) => accounts.revokeToken(db, id));
  }
  createSession(session: SessionRecord): Promise<void> {
    return this.change('create a session', (db) => accounts.createSession(db, session));
  }
  getSession(keyHash: string, now: Date): Promise<SessionRecord | undefined> {
    return this.run('read a session', (db) => accounts.getSession(db, keyHash, now));
  }
  deleteSession(keyHash: string): Promise<void> {
    return this.change('delete a session', (db) => accounts.deleteSession(db, keyHash));
  }
  deleteExpiredSessions(now: Date): Promise<number> {
    return this.change('delete expired sessions', (db) => accounts.deleteExpiredSessions(db, now));
  }

  // Blobs and references ----------------------------------------------------------------------
  putBlob(blob: BlobRecord): Promise<BlobRecord> {
    return this.change('record a blob', (db) => blobs.putBlob(db, blob));
  }
  getBlob(hash: string): Promise<BlobRecord | undefined> {
    return this.run('read a blob record', (db) => blobs.getBlob(db, hash));
  }
  removeBlobIfUnreferenced(hash: string): Promise<boolean> {
    return this.change('remove a blob record', (db) => blobs.removeBlobIfUnreferenced(db, hash));
  }
  listUnreferencedBlobs(limit: number, createdBefore?: Date): Promise<BlobRecord[]> {
    return this.run('list unreferenced blobs', (db) => {
      assertLimit(limit);
      return blobs.listUnreferencedBlobs(db, limit, createdBefore);
    });
  }
  blobTotals(): Promise<{ count: number; bytes: number }> {
    return this.run('sum blob sizes', (db) => blobs.blobTotals(db));
  }
  createReference(reference: ReferenceRecord): Promise<void> {
    return this.change('create a reference', (db) => blobs.createReference(db, reference));
  }
  getReference(key: string): Promise<ReferenceRecord | undefined> {
    return this.run('read a reference', (db) => blobs.getReference(db, key));
  }
  ensureReference(
    owner: string,
    hash: string,
    now: Date,
    newKey: string,
  ): Promise<ReferenceRecord> {
    return this.change('ensure a reference', (db) =>
      blobs.ensureReference(db, owner, hash, now, newKey),
    );
  }
  hasReference(owner: string, hash: string): Promise<boolean> {
    return this.run('look a reference up', (db) => blobs.hasReference(db, owner, hash));
  }
  touchReference(key: string, now: Date): Promise<void> {
    return this.change('touch a reference', (db) => blobs.touchReference(db, key, now));
  }
  deleteReference(key: string): Promise<boolean> {
    return this.change('delete a reference', (db) => blobs.deleteReference(db, key));
  }
  deleteReferencesToBlob(hash: string): Promise<number> {
    return this.change('delete references', (db) => blobs.deleteReferencesToBlob(db, hash));
  }

  // Tasks -------------------------------------------------------------------------------------
  createTask(task: TaskRecord): Promise<void> {
    return this.change('create a task', (db) => tasks.createTask(db, task));
  }
  getTask(key: string): Promise<TaskRecord | undefined> {
    return this.run('read a task', (db) => tasks.getTask(db, key));
  }
  listTasks(filter: TaskFilter, limit: number, cursor?: string): Promise<Page<TaskRecord>> {
    return this.run('list tasks', (db) => tasks.listTasks(db, filter, limit, cursor));
  }
  listQueuedTasks(
    limit: number,
    after?: { priority: number; createdAt: Date; key: string },
  ): Promise<TaskRecord[]> {
    return this.run('list queued tasks', (db) => tasks.listQueuedTasks(db, limit, after));
  }
  countTasksByState(): Promise<Record<TaskState, number>> {
    return this.run('count tasks', (db) => tasks.countTasksByState(db));
  }
  deleteTask(key: string): Promise<boolean> {
    return this.change('delete a task', (db) => tasks.deleteTask(db, key, new Date()));
  }
  setQueuedReason(keys: readonly string[], reason: string | undefined): Promise<number> {
    return this.change('note why tasks wait', (db) =>
      transitions.setQueuedReason(db, keys, reason),
    );
  }
  claimTask(key: string, claim: Claim): Promise<TaskRecord | undefined> {
    return this.change('claim a task', (db) => transitions.claimTask(db, key, claim));
  }
  releaseTask(key: string, attempt: number, now: Date): Promise<TaskRecord | undefined> {
    return this.change('release a task', (db) => transitions.releaseTask(db, key, attempt, now));
  }
  startTask(key: string, attempt: number, now: Date): Promise<TaskRecord | undefined> {
    return this.change('start a task', (db) => transitions.startTask(db, key, attempt, now));
  }
  renewLeases(
    assignee: string,
    list: { key: string; attempt: number }[],
    leaseExpiresAt: Date,
  ): Promise<string[]> {
    return this.change('renew leases', (db) =>
      transitions.renewLeases(db, assignee, list, leaseExpiresAt),
    );
  }
  finishTask(
    key: string,
    attempt: number,
    result: ResultRecord,
    now: Date,
  ): Promise<FinishOutcome> {
    return this.change('finish a task', (db) =>
      transitions.finishTask(db, key, attempt, result, now),
    );
  }
  failTask(
    key: string,
    reason: string,
    now: Date,
    attempt?: number,
  ): Promise<TaskRecord | undefined> {
    return this.change('fail a task', (db) => transitions.failTask(db, key, reason, now, attempt));
  }
  cancelTask(key: string, reason: string, now: Date): Promise<TaskRecord | undefined> {
    return this.change('cancel a task', (db) => transitions.cancelTask(db, key, reason, now));
  }
  requeueTask(key: string, now: Date): Promise<TaskRecord | undefined> {
    return this.change('requeue a task', (db) => transitions.requeueTask(db, key, now));
  }
  expireLeases(now: Date, reasonFor: (task: TaskRecord) => string): Promise<ExpiredLease[]> {
    return this.change('expire leases', (db) => transitions.expireLeases(db, now, reasonFor));
  }
  getResult(taskKey: string): Promise<ResultRecord | undefined> {
    return this.run('read a result', (db) => tasks.getResult(db, taskKey));
  }
  deleteResult(taskKey: string, now: Date): Promise<boolean> {
    return this.change('delete a result', (db) => transitions.deleteResult(db, taskKey, now));
  }

  // Events ------------------------------------------------------------------------------------
  readEvents(afterSeq: number, limit: number): Promise<TaskEvent[]> {
    return this.run('read events', (db) => {
      assertLimit(limit);
      return events.readEvents(db, afterSeq, limit);
    });
  }
  lastEventSeq(): Promise<number> {
    return this.run('read the last event', (db) => events.lastEventSeq(db));
  }
  waitForChange(timeoutMs: number, signal?: AbortSignal, afterSeq?: number): Promise<void> {
    return this.run('wait for a change', () => this.watcher).then((watcher) =>
      watcher.wait(timeoutMs, signal, afterSeq),
    );
  }
  deleteEventsBefore(before: Date): Promise<number> {
    return this.change('delete old events', (db) => events.deleteEventsBefore(db, before));
  }

  // Foremen -----------------------------------------------------------------------------------
  upsertForeman(foreman: ForemanRecord): Promise<void> {
    return this.change('record a foreman', (db) => foremen.upsertForeman(db, foreman));
  }
  getForeman(id: string): Promise<ForemanRecord | undefined> {
    return this.run('read a foreman', (db) => foremen.getForeman(db, id));
  }
  listForemen(): Promise<ForemanRecord[]> {
    return this.run('list foremen', (db) => foremen.listForemen(db));
  }
  updateForeman(id: string, changes: ForemanChanges): Promise<ForemanRecord | undefined> {
    return this.change('update a foreman', (db) =>
      foremen.updateForeman(db, id, changes, new Date()),
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
