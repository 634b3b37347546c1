// The contract and its records: everything store.ts exports is public.
export * from './store.js';
export {
  DEFAULT_SQLITE_FILE,
  openStore,
  parseStoreUrl,
  type OpenStoreOptions,
  type StoreLocation,
} from './open-store.js';
export {
  SqliteStore,
  openSqliteStore,
  type ResolvedSqliteStoreOptions,
  type SqliteStoreOptions,
} from './sqlite/sqlite-store.js';
// Types only: the MongoDB driver loads when openStore is given a mongodb:// URL.
export type {
  MongoStore,
  MongoStoreOptions,
  ResolvedMongoStoreOptions,
} from './mongodb/mongo-store.js';
export { ACTIVE_TASK_STATES, LEASED_TASK_STATES } from './store-rules.js';
