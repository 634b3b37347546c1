import {
  STORE_OPERATIONS,
  type EngineAnswer,
  type EngineFunctions,
  type StoreOperation,
  type StoreOperationName,
  type StoreOperations,
} from './store-operations.js';

/**
 * How an engine runs one call of an operation on its handle: the closed check, the mapping
 * of its errors to KolejkaErrors (with `operation.doing`) and, for SQLite, the read or write
 * path (`operation.mode`).
 */
export type RunOperation<Db, Timing extends 'sync' | 'async'> = <T>(
  operation: StoreOperation,
  call: (db: Db) => EngineAnswer<T, Timing>,
) => Promise<T>;

/** The `Store` operations as one object: each calls the engine's function of its name through `run`. */
export function bindStore<Db, Timing extends 'sync' | 'async'>(
  functions: EngineFunctions<Db, Timing>,
  run: RunOperation<Db, Timing>,
): StoreOperations {
  const bound: Partial<Record<StoreOperationName, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const name of Object.keys(STORE_OPERATIONS) as StoreOperationName[]) {
    // The per-name types were checked where `functions` was written (EngineFunctions); here
    // every operation is called alike.
    const fn = functions[name] as (db: Db, ...args: unknown[]) => EngineAnswer<unknown, Timing>;
    const operation = STORE_OPERATIONS[name];
    bound[name] = (...args) => run(operation, (db) => fn(db, ...args));
  }
  return bound as StoreOperations;
}

/**
 * The base of an engine's Store class: its instances are typed with every operation, which
 * the engine's constructor assigns with `Object.assign(this, bindStore(…))`. A class can only
 * declare methods by writing each one out, and those ~50 forwarding methods per engine are
 * what the table replaces.
 */
export const StoreFacade = class {} as new () => StoreOperations;
