import type { Store } from './store.js';

/*
 * The one table of store operations. Each engine supplies a function per operation (see
 * `EngineFunctions`) and `bindStore` (store-facade.ts) turns them into the `Store` methods,
 * so a new operation is: its method in `Store`, its row here, one function per engine and
 * its conformance test. A missing row or function, or one whose arguments or answer differ
 * from the `Store` method, is a compile error.
 */

/** The `Store` methods each engine writes itself: they manage the engine, not the data. */
type EngineLifecycle = 'waitForChange' | 'close';

export type StoreOperationName = Exclude<keyof Store, EngineLifecycle>;

/** The part of `Store` that the table describes. */
export type StoreOperations = Pick<Store, StoreOperationName>;

export interface StoreOperation {
  /** Completes "Could not …" in the errors the engine maps (a locked file, a lost connection). */
  doing: string;
  /**
   * `write`: changes data; SQLite runs it in the group commit of this turn. `read`: SQLite
   * answers it at once (after the writes issued before it), outside any transaction. MongoDB
   * runs both alike.
   */
  mode: 'read' | 'write';
}

const read = (doing: string): StoreOperation => ({ doing, mode: 'read' });
const write = (doing: string): StoreOperation => ({ doing, mode: 'write' });

/** Every operation of `Store` but its lifecycle, in the order of the `Store` interface. */
export const STORE_OPERATIONS = {
  createUser: write('create a user'),
  getUser: read('read a user'),
  listUsers: read('list users'),
  updateUser: write('update a user'),
  removeUser: write('remove a user'),
  createToken: write('create a token'),
  // A read that writes `lastUsedAt` at most once a minute per token, as its own transaction:
  // in the group commit it would make every authenticated request wait for a commit.
  useToken: read('use a token'),
  listTokens: read('list tokens'),
  revokeToken: write('revoke a token'),
  createSession: write('create a session'),
  getSession: read('read a session'),
  deleteSession: write('delete a session'),
  deleteExpiredSessions: write('delete expired sessions'),

  putBlob: write('record a blob'),
  getBlob: read('read a blob record'),
  removeBlobIfUnreferenced: write('remove a blob record'),
  listUnreferencedBlobs: read('list unreferenced blobs'),
  blobTotals: read('sum blob sizes'),
  createReference: write('create a reference'),
  getReference: read('read a reference'),
  ensureReference: write('ensure a reference'),
  hasReference: read('look a reference up'),
  touchReference: write('touch a reference'),
  deleteReference: write('delete a reference'),
  deleteReferencesToBlob: write('delete references'),

  createTask: write('create a task'),
  getTask: read('read a task'),
  listTasks: read('list tasks'),
  listQueuedTasks: read('list queued tasks'),
  countTasksByState: read('count tasks'),
  taskActivity: read('sum up task activity'),
  deleteTask: write('delete a task'),
  setQueuedReason: write('note why tasks wait'),
  claimTask: write('claim a task'),
  releaseTask: write('release a task'),
  startTask: write('start a task'),
  renewLeases: write('renew leases'),
  finishTask: write('finish a task'),
  failTask: write('fail a task'),
  cancelTask: write('cancel a task'),
  requeueTask: write('requeue a task'),
  expireLeases: write('expire leases'),
  getResult: read('read a result'),
  deleteResult: write('delete a result'),

  // Task dependencies (issue 12)
  getTaskLinks: read('read the task graph'),

  readEvents: read('read events'),
  lastEventSeq: read('read the last event'),
  taskHistory: read('read the history of a task'),
  deleteEventsBefore: write('delete old events'),

  upsertForeman: write('record a foreman'),
  getForeman: read('read a foreman'),
  listForemen: read('list foremen'),
  updateForeman: write('update a foreman'),

  // Queue control (issue 12)
  pauseQueue: write('pause the queue'),
  resumeQueue: write('resume the queue'),
  listQueuePauses: read('list queue pauses'),
  setTaskPriority: write('change a task priority'),
  setUserQueuePolicy: write('set a user queue policy'),
  moveTask: write('move a task'),
  countTasksOf: read('count tasks of a user'),
  createSchedule: write('create a schedule'),
  getSchedule: read('read a schedule'),
  listSchedules: read('list schedules'),
  updateSchedule: write('update a schedule'),
  deleteSchedule: write('delete a schedule'),
  fireSchedule: write('fire a schedule'),
} as const satisfies Record<StoreOperationName, StoreOperation>;

/** What an engine function answers: the value itself (`sync`, better-sqlite3) or a promise. */
export type EngineAnswer<T, Timing extends 'sync' | 'async'> = Timing extends 'sync'
  ? T
  : Promise<T>;

/**
 * An engine's function for every operation, by name: the engine's handle first, then the
 * arguments of the `Store` method, answering what the method resolves to.
 */
export type EngineFunctions<Db, Timing extends 'sync' | 'async'> = {
  [K in StoreOperationName]: (
    db: Db,
    ...args: Parameters<Store[K]>
  ) => EngineAnswer<Awaited<ReturnType<Store[K]>>, Timing>;
};
