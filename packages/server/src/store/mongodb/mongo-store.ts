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
import * as accounts from './mongo-accounts.js';
import * as blobs from './mongo-blobs.js';
import { MongoChangeWatcher } from './mongo-change-watcher.js';
import { mapMongoError, MongoDatabase } from './mongo-db.js';
import * as events from './mongo-events.js';
import * as foremen from './mongo-foremen.js';
import * as tasks from './mongo-tasks.js';
import * as transitions from './mongo-transitions.js';

export interface MongoStoreOptions {
  /** `mongodb://…` or `mongodb+srv://…`; must reach a replica set (or a sharded cluster). */
  url: string;
  /** Default: the database named in the URL's path, else `kolejka`. */
  databaseName?: string;
  /** How long to look for a usable server before failing with KOLEJKA_UNAVAILABLE. Default 10000. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

export interface ResolvedMongoStoreOptions {
  url: string;
  databaseName: string;
  connectTimeoutMs: number;
  logger: Logger;
}

export function resolveMongoStoreOptions(options: MongoStoreOptions): ResolvedMongoStoreOptions {
  return {
    url: options.url,
    databaseName: options.databaseName ?? databaseNameOf(options.url) ?? 'kolejka',
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    logger: options.logger ?? noopLogger,
  };
}

/** The database in `mongodb://host/NAME?…`, if the URL names one. */
export function databaseNameOf(url: string): string | undefined {
  const name = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(url)?.[1];
  return name === undefined || name === '' ? undefined : decodeURIComponent(name);
}

/** Connects, checks that the server is a replica set, and creates collections and indexes. */
export async function openMongoStore(options: MongoStoreOptions): Promise<MongoStore> {
  const resolved = resolveMongoStoreOptions(options);
  const database = await MongoDatabase.connect(resolved);
  return new MongoStore(database, resolved);
}

/**
 * The scale-out store: MongoDB (a replica set, for transactions and change streams), shared
 * by any number of server processes. Multi-document changes run in transactions; single
 * document ones are single atomic operations.
 */
export class MongoStore implements Store {
  readonly options: ResolvedMongoStoreOptions;
  /** The connection, shared with the GridFS blob store (`openBlobStore`). */
  readonly database: MongoDatabase;
  private readonly watcher: MongoChangeWatcher;
  private isClosed = false;

  constructor(database: MongoDatabase, options: ResolvedMongoStoreOptions) {
    this.database = database;
    this.options = options;
    this.watcher = new MongoChangeWatcher(
      database.collections.events,
      () => events.lastEventSeq(database),
      options.logger,
    );
  }

  private async run<T>(doing: string, fn: (m: MongoDatabase) => Promise<T>): Promise<T> {
    if (this.isClosed) throw new KolejkaError('KOLEJKA_UNAVAILABLE', 'The store is closed');
    try {
      return await fn(this.database);
    } catch (error) {
      throw mapMongoError(error, doing);
    }
  }

  // Users, tokens, sessions -------------------------------------------------------------------
  createUser(user: UserRecord): Promise<void> {
    return this.run('create a user', (m) => accounts.createUser(m, user));
  }
  getUser(username: string): Promise<UserRecord | undefined> {
    return this.run('read a user', (m) => accounts.getUser(m, username));
  }
  listUsers(): Promise<UserRecord[]> {
    return this.run('list users', (m) => accounts.listUsers(m));
  }
  updateUser(
    username: string,
    changes: { roles?: Role[]; passwordHash?: string | null },
  ): Promise<boolean> {
    return this.run('update a user', (m) => accounts.updateUser(m, username, changes));
  }
  removeUser(username: string): Promise<boolean> {
    return this.run('remove a user', (m) => accounts.removeUser(m, username));
  }
  createToken(token: TokenRecord): Promise<void> {
    return this.run('create a token', (m) => accounts.createToken(m, token));
  }
  useToken(tokenHash: string, now: Date): Promise<TokenRecord | undefined> {
    return this.run('use a token', (m) => accounts.useToken(m, tokenHash, now));
  }
  listTokens(username?: string): Promise<TokenRecord[]> {
    return this.run('list tokens', (m) => accounts.listTokens(m, username));
  }
  revokeToken(id: string): Promise<boolean> {
    return this.run('revoke a token', (m) => accounts.revokeToken(m, id));
  }
  createSession(session: SessionRecord): Promise<void> {
    return this.run('create a session', (m) => accounts.createSession(m, session));
  }
  getSession(keyHash: string, now: Date): Promise<SessionRecord | undefined> {
    return this.run('read a session', (m) => accounts.getSession(m, keyHash, now));
  }
  deleteSession(keyHash: string): Promise<void> {
    return this.run('delete a session', (m) => accounts.deleteSession(m, keyHash));
  }
  deleteExpiredSessions(now: Date): Promise<number> {
    return this.run('delete expired sessions', (m) => accounts.deleteExpiredSessions(m, now));
  }

  // Blobs and references ----------------------------------------------------------------------
  putBlob(blob: BlobRecord): Promise<BlobRecord> {
    return this.run('record a blob', (m) => blobs.putBlob(m, blob));
  }
  getBlob(hash: string): Promise<BlobRecord | undefined> {
    return this.run('read a blob record', (m) => blobs.getBlob(m, hash));
  }
  removeBlobIfUnreferenced(hash: string): Promise<boolean> {
    return this.run('remove a blob record', (m) => blobs.removeBlobIfUnreferenced(m, hash));
  }
  listUnreferencedBlobs(limit: number, createdBefore?: Date): Promise<BlobRecord[]> {
    return this.run('list unreferenced blobs', (m) => {
      assertLimit(limit);
      return blobs.listUnreferencedBlobs(m, limit, createdBefore);
    });
  }
  blobTotals(): Promise<{ count: number; bytes: number }> {
    return this.run('sum blob sizes', (m) => blobs.blobTotals(m));
  }
  createReference(reference: ReferenceRecord): Promise<void> {
    return this.run('create a reference', (m) => blobs.createReference(m, reference));
  }
  getReference(key: string): Promise<ReferenceRecord | undefined> {
    return this.run('read a reference', (m) => blobs.getReference(m, key));
  }
  ensureReference(
    owner: string,
    hash: string,
    now: Date,
    newKey: string,
  ): Promise<ReferenceRecord> {
    return this.run('ensure a reference', (m) =>
      blobs.ensureReference(m, owner, hash, now, newKey),
    );
  }
  hasReference(owner: string, hash: string): Promise<boolean> {
    return this.run('look a reference up', (m) => blobs.hasReference(m, owner, hash));
  }
  touchReference(key: string, now: Date): Promise<void> {
    return this.run('touch a reference', (m) => blobs.touchReference(m, key, now));
  }
  deleteReference(key: string): Promise<boolean> {
    return this.run('delete a reference', (m) => blobs.deleteReference(m, key));
  }
  deleteReferencesToBlob(hash: string): Promise<number> {
    return this.run('delete references', (m) => blobs.deleteReferencesToBlob(m, hash));
  }

  // Tasks -------------------------------------------------------------------------------------
  createTask(task: TaskRecord): Promise<void> {
    return this.run('create a task', (m) => tasks.createTask(m, task));
  }
  getTask(key: string): Promise<TaskRecord | undefined> {
    return this.run('read a task', (m) => tasks.getTask(m, key));
  }
  listTasks(filter: TaskFilter, limit: number, cursor?: string): Promise<Page<TaskRecord>> {
    return this.run('list tasks', (m) => tasks.listTasks(m, filter, limit, cursor));
  }
  listQueuedTasks(
    limit: number,
    after?: { priority: number; createdAt: Date; key: string },
  ): Promise<TaskRecord[]> {
    return this.run('list queued tasks', (m) => tasks.listQueuedTasks(m, limit, after));
  }
  countTasksByState(): Promise<Record<TaskState, number>> {
    return this.run('count tasks', (m) => tasks.countTasksByState(m));
  }
  deleteTask(key: string): Promise<boolean> {
    return this.run('delete a task', (m) => tasks.deleteTask(m, key, new Date()));
  }
  setQueuedReason(keys: readonly string[], reason: string | undefined): Promise<number> {
    return this.run('note why tasks wait', (m) => transitions.setQueuedReason(m, keys, reason));
  }
  claimTask(key: string, claim: Claim): Promise<TaskRecord | undefined> {
    return this.run('claim a task', (m) => transitions.claimTask(m, key, claim));
  }
  releaseTask(key: string, attempt: number, now: Date): Promise<TaskRecord | undefined> {
    return this.run('release a task', (m) => transitions.releaseTask(m, key, attempt, now));
  }
  startTask(key: string, attempt: number, now: Date): Promise<TaskRecord | undefined> {
    return this.run('start a task', (m) => transitions.startTask(m, key, attempt, now));
  }
  renewLeases(
    assignee: string,
    list: { key: string; attempt: number }[],
    leaseExpiresAt: Date,
  ): Promise<string[]> {
    return this.run('renew leases', (m) =>
      transitions.renewLeases(m, assignee, list, leaseExpiresAt),
    );
  }
  finishTask(
    key: string,
    attempt: number,
    result: ResultRecord,
    now: Date,
  ): Promise<FinishOutcome> {
    return this.run('finish a task', (m) => transitions.finishTask(m, key, attempt, result, now));
  }
  failTask(
    key: string,
    reason: string,
    now: Date,
    attempt?: number,
  ): Promise<TaskRecord | undefined> {
    return this.run('fail a task', (m) => transitions.failTask(m, key, reason, now, attempt));
  }
  cancelTask(key: string, reason: string, now: Date): Promise<TaskRecord | undefined> {
    return this.run('cancel a task', (m) => transitions.cancelTask(m, key, reason, now));
  }
  requeueTask(key: string, now: Date): Promise<TaskRecord | undefined> {
    return this.run('requeue a task', (m) => transitions.requeueTask(m, key, now));
  }
  expireLeases(now: Date, reasonFor: (task: TaskRecord) => string): Promise<ExpiredLease[]> {
    return this.run('expire leases', (m) => transitions.expireLeases(m, now, reasonFor));
  }
  getResult(taskKey: string): Promise<ResultRecord | undefined> {
    return this.run('read a result', (m) => tasks.getResult(m, taskKey));
  }
  deleteResult(taskKey: string, now: Date): Promise<boolean> {
    return this.run('delete a result', (m) => transitions.deleteResult(m, taskKey, now));
  }

  // Events ------------------------------------------------------------------------------------
  readEvents(afterSeq: number, limit: number): Promise<TaskEvent[]> {
    return this.run('read events', (m) => {
      assertLimit(limit);
      return events.readEvents(m, afterSeq, limit);
    });
  }
  lastEventSeq(): Promise<number> {
    return this.run('read the last event', (m) => events.lastEventSeq(m));
  }
  waitForChange(timeoutMs: number, signal?: AbortSignal, afterSeq?: number): Promise<void> {
    return this.run('wait for a change', () => this.watcher.wait(timeoutMs, signal, afterSeq));
  }
  deleteEventsBefore(before: Date): Promise<number> {
    return this.run('delete old events', (m) => events.deleteEventsBefore(m, before));
  }

  // Foremen -----------------------------------------------------------------------------------
  upsertForeman(foreman: ForemanRecord): Promise<void> {
    return this.run('record a foreman', (m) => foremen.upsertForeman(m, foreman));
  }
  getForeman(id: string): Promise<ForemanRecord | undefined> {
    return this.run('read a foreman', (m) => foremen.getForeman(m, id));
  }
  listForemen(): Promise<ForemanRecord[]> {
    return this.run('list foremen', (m) => foremen.listForemen(m));
  }
  updateForeman(id: string, changes: ForemanChanges): Promise<ForemanRecord | undefined> {
    return this.run('update a foreman', (m) => foremen.updateForeman(m, id, changes, new Date()));
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.watcher.close();
    await this.database.close();
  }
}
