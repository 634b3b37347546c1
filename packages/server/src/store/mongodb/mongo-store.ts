import { KolejkaError, noopLogger, type Logger } from '@kolejka/spec';
import { StoreFacade, bindStore } from '../store-facade.js';
import type { EngineFunctions } from '../store-operations.js';
import type { Store } from '../store.js';
import * as accounts from './mongo-accounts.js';
import * as blobs from './mongo-blobs.js';
import { MongoChangeWatcher } from './mongo-change-watcher.js';
import { mapMongoError, MongoDatabase } from './mongo-db.js';
import * as dependencies from './mongo-dependencies.js';
import * as events from './mongo-events.js';
import * as foremen from './mongo-foremen.js';
import * as queueControl from './mongo-queue-control.js';
import * as schedules from './mongo-schedules.js';
import * as tasks from './mongo-tasks.js';
import * as transitions from './mongo-transitions.js';

/**
 * Every store operation of this engine: the area modules export one function per operation,
 * named after it (their other exports are not operations and go unused here).
 */
const MONGO_FUNCTIONS: EngineFunctions<MongoDatabase, 'async'> = {
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
export class MongoStore extends StoreFacade implements Store {
  readonly options: ResolvedMongoStoreOptions;
  /** The connection, shared with the GridFS blob store (`openBlobStore`). */
  readonly database: MongoDatabase;
  private readonly watcher: MongoChangeWatcher;
  private isClosed = false;

  constructor(database: MongoDatabase, options: ResolvedMongoStoreOptions) {
    super();
    this.database = database;
    this.options = options;
    this.watcher = new MongoChangeWatcher(
      database.collections.events,
      () => events.lastEventSeq(database),
      options.logger,
    );
    Object.assign(
      this,
      bindStore(MONGO_FUNCTIONS, (operation, call) => this.run(operation.doing, call)),
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

  waitForChange(timeoutMs: number, signal?: AbortSignal, afterSeq?: number): Promise<void> {
    return this.run('wait for a change', () => this.watcher.wait(timeoutMs, signal, afterSeq));
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.watcher.close();
    await this.database.close();
  }
}
