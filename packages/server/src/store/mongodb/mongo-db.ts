import {
  MongoClient,
  MongoError,
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
  type ClientSession,
  type Collection,
  type Db,
  type IndexDescription,
} from 'mongodb';
import { KolejkaError } from '@kolejka/spec';
import {
  taskSearchFields,
  type BlobDoc,
  type CounterDoc,
  type EventDoc,
  type ForemanDoc,
  type ReferenceDoc,
  type ResultDoc,
  type ScheduleDoc,
  type SessionDoc,
  type QueuePauseDoc,
  type TaskDoc,
  type TokenDoc,
  type UserDoc,
} from './mongo-docs.js';
import type { TaskEdgeDoc, TaskLinksDoc } from './mongo-dependency-docs.js';

/** Collections of one Kolejka database. */
export interface MongoCollections {
  users: Collection<UserDoc>;
  tokens: Collection<TokenDoc>;
  sessions: Collection<SessionDoc>;
  blobs: Collection<BlobDoc>;
  references: Collection<ReferenceDoc>;
  tasks: Collection<TaskDoc>;
  results: Collection<ResultDoc>;
  events: Collection<EventDoc>;
  counters: Collection<CounterDoc>;
  foremen: Collection<ForemanDoc>;
  // Queue control (issue 12)
  queuePauses: Collection<QueuePauseDoc>;
  schedules: Collection<ScheduleDoc>;
  // Task dependencies (issue 12)
  taskLinks: Collection<TaskLinksDoc>;
  taskEdges: Collection<TaskEdgeDoc>;
}

/** Indexes created at open (createIndexes is idempotent for identical definitions). */
const INDEXES: Record<keyof MongoCollections, IndexDescription[]> = {
  users: [],
  tokens: [
    { key: { tokenHash: 1 }, name: 'by_token_hash', unique: true },
    { key: { username: 1 }, name: 'by_username' },
  ],
  sessions: [
    { key: { username: 1 }, name: 'by_username' },
    // MongoDB removes expired sessions by itself too (getSession checks the time anyway).
    { key: { expiresAt: 1 }, name: 'by_expiry', expireAfterSeconds: 0 },
  ],
  blobs: [{ key: { touchedAt: 1, _id: 1 }, name: 'by_touched' }],
  references: [
    { key: { owner: 1, hash: 1, createdAt: 1, _id: 1 }, name: 'by_owner_hash' },
    { key: { hash: 1 }, name: 'by_hash' },
  ],
  tasks: [
    {
      key: { priority: -1, createdAt: 1, _id: 1 },
      name: 'queue',
      partialFilterExpression: { state: 'queued' },
    },
    { key: { createdAt: -1, _id: -1 }, name: 'by_created' },
    { key: { owner: 1, createdAt: -1, _id: -1 }, name: 'by_owner_created' },
    { key: { assignee: 1, createdAt: -1, _id: -1 }, name: 'by_assignee_created' },
    { key: { state: 1, leaseExpiresAt: 1 }, name: 'by_state_lease' },
    { key: { fileHashes: 1 }, name: 'by_file_hash' },
    // Queue control (issue 12): the per-user limits count a user's tasks by state.
    { key: { owner: 1, state: 1 }, name: 'by_owner_state' },
    // The dashboard's task list and overview (issue 13): a page of one state (of one owner),
    // of one image or one tag, in created order; tasks assigned and ended in the last hour.
    { key: { state: 1, createdAt: -1, _id: -1 }, name: 'by_state_created' },
    { key: { owner: 1, state: 1, createdAt: -1, _id: -1 }, name: 'by_owner_state_created' },
    { key: { image: 1, createdAt: -1, _id: -1 }, name: 'by_image_created' },
    { key: { requires: 1, createdAt: -1, _id: -1 }, name: 'by_tag_created' },
    {
      key: { assignedAt: 1 },
      name: 'by_assigned',
      partialFilterExpression: { assignedAt: { $exists: true } },
    },
    {
      key: { finishedAt: 1 },
      name: 'by_finished',
      partialFilterExpression: { finishedAt: { $exists: true } },
    },
  ],
  results: [{ key: { fileHashes: 1 }, name: 'by_file_hash' }],
  events: [
    { key: { at: 1 }, name: 'by_time' },
    // A task's history (taskHistory), newest first.
    { key: { taskKey: 1, _id: -1 }, name: 'by_task' },
  ],
  counters: [],
  foremen: [],
  // Queue control (issue 12)
  queuePauses: [],
  schedules: [
    { key: { createdAt: 1, _id: 1 }, name: 'by_created' },
    { key: { owner: 1, createdAt: 1, _id: 1 }, name: 'by_owner_created' },
    { key: { fileHashes: 1 }, name: 'by_file_hash' },
  ],
  // Task dependencies (issue 12): edges are read by dependency when a task ends.
  taskLinks: [],
  taskEdges: [
    { key: { dependency: 1, dependent: 1 }, name: 'by_dependency' },
    { key: { dependent: 1, position: 1 }, name: 'by_dependent' },
  ],
};

export interface MongoDatabaseOptions {
  url: string;
  databaseName: string;
  connectTimeoutMs: number;
}

/**
 * A connected client, its database and collections, and the transaction runner. Every
 * multi-document change runs in `transaction()`: snapshot reads, majority commit, retried
 * by the driver on transient errors (write conflicts between racing servers included).
 */
export class MongoDatabase {
  readonly client: MongoClient;
  readonly db: Db;
  readonly collections: MongoCollections;
  readonly redactedUrl: string;

  private constructor(client: MongoClient, db: Db, redactedUrl: string) {
    this.client = client;
    this.db = db;
    this.redactedUrl = redactedUrl;
    this.collections = {
      users: db.collection<UserDoc>('users'),
      tokens: db.collection<TokenDoc>('tokens'),
      sessions: db.collection<SessionDoc>('sessions'),
      blobs: db.collection<BlobDoc>('blobs'),
      references: db.collection<ReferenceDoc>('references'),
      tasks: db.collection<TaskDoc>('tasks'),
      results: db.collection<ResultDoc>('results'),
      events: db.collection<EventDoc>('events'),
      counters: db.collection<CounterDoc>('counters'),
      foremen: db.collection<ForemanDoc>('foremen'),
      queuePauses: db.collection<QueuePauseDoc>('queue_pauses'),
      schedules: db.collection<ScheduleDoc>('schedules'),
      taskLinks: db.collection<TaskLinksDoc>('taskLinks'),
      taskEdges: db.collection<TaskEdgeDoc>('taskEdges'),
    };
  }

  static async connect(options: MongoDatabaseOptions): Promise<MongoDatabase> {
    const redactedUrl = redactMongoUrl(options.url);
    let client: MongoClient;
    try {
      client = new MongoClient(options.url, {
        appName: 'kolejka-server',
        serverSelectionTimeoutMS: options.connectTimeoutMs,
        connectTimeoutMS: options.connectTimeoutMs,
      });
      await client.connect();
    } catch (error) {
      throw new KolejkaError(
        'KOLEJKA_UNAVAILABLE',
        `Could not connect to MongoDB at ${redactedUrl}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const database = new MongoDatabase(client, client.db(options.databaseName), redactedUrl);
    try {
      await database.assertReplicaSet();
      await database.createSchema();
    } catch (error) {
      await client.close();
      throw mapMongoError(error, `prepare the MongoDB database at ${redactedUrl}`);
    }
    return database;
  }

  /** Transactions (and change streams) exist only on replica sets and sharded clusters. */
  private async assertReplicaSet(): Promise<void> {
    const hello = await this.db.admin().command({ hello: 1 });
    if (typeof hello.setName === 'string' || hello.msg === 'isdbgrid') return;
    throw new KolejkaError(
      'KOLEJKA_UNAVAILABLE',
      `MongoDB at ${this.redactedUrl} is a standalone server, but Kolejka needs transactions, ` +
        'which MongoDB offers only on a replica set. A single-node replica set is enough: ' +
        'start mongod with --replSet rs0, run rs.initiate() once in mongosh, and connect with ' +
        '?replicaSet=rs0 (or &directConnection=true).',
    );
  }

  private async createSchema(): Promise<void> {
    // Created up front: a transaction cannot create a collection on every server version.
    const existing = new Set(
      (await this.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name),
    );
    for (const [name, indexes] of Object.entries(INDEXES) as [
      keyof MongoCollections,
      IndexDescription[],
    ][]) {
      const collection = this.collections[name];
      if (!existing.has(collection.collectionName))
        await ignoreCodes([48], () => this.db.createCollection(collection.collectionName));
      if (indexes.length > 0) await collection.createIndexes(indexes);
    }
    await this.backfillTaskSearch();
    await ignoreCodes([11000], () =>
      this.collections.counters.updateOne(
        { _id: 'events' },
        { $setOnInsert: { seq: 0 } },
        { upsert: true },
      ),
    );
  }

  /**
   * Gives tasks stored before issue 13 the searchable copies of their spec's image and
   * requires (see `TaskDoc`); idempotent, and a no-op read once every task has them.
   */
  private async backfillTaskSearch(): Promise<void> {
    const tasks = this.collections.tasks;
    for (;;) {
      const batch = await tasks
        .find({ image: { $exists: false } }, { projection: { _id: 1, spec: 1 } })
        .limit(1000)
        .toArray();
      if (batch.length === 0) return;
      await tasks.bulkWrite(
        batch.map((doc) => ({
          updateOne: {
            filter: { _id: doc._id },
            update: { $set: taskSearchFields(JSON.parse(doc.spec) as Record<string, unknown>) },
          },
        })),
      );
    }
  }

  /** Runs `fn` as one transaction (retried as a whole on transient errors: keep it pure). */
  async transaction<T>(fn: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = this.client.startSession();
    try {
      return await session.withTransaction(() => fn(session), {
        readConcern: { level: 'snapshot' },
        writeConcern: { w: 'majority' },
        readPreference: 'primary',
      });
    } finally {
      await session.endSession();
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Hides the password of `mongodb://user:password@host/...` in messages and logs. */
export function redactMongoUrl(url: string): string {
  return url.replace(/^(mongodb(?:\+srv)?:\/\/)[^@/]*@/, '$1***@');
}

export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

async function ignoreCodes(codes: number[], fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof MongoServerError && codes.includes(Number(error.code)))) throw error;
  }
}

/** Connection loss and timeouts become KOLEJKA_UNAVAILABLE; KolejkaErrors pass through. */
export function mapMongoError(error: unknown, doing: string): unknown {
  if (error instanceof KolejkaError) return error;
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    (error instanceof MongoError &&
      (error.hasErrorLabel('RetryableWriteError') ||
        error.hasErrorLabel('TransientTransactionError')))
  )
    return new KolejkaError('KOLEJKA_UNAVAILABLE', `Could not ${doing}: ${error.message}`, {
      cause: error,
    });
  return error;
}
