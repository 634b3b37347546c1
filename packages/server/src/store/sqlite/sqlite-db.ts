import Database from 'better-sqlite3';
import { KolejkaError } from '@kolejka/spec';

/** `PRAGMA synchronous` of every connection: `full` (the default) or `normal`. */
export type SqliteSynchronous = 'full' | 'normal';

export type SqliteParams = Record<string, string | number | bigint | Buffer | null>;

/**
 * One better-sqlite3 connection with the settings every Kolejka process uses, a cache of
 * prepared statements (SQL text is the key), and the one way to write: an IMMEDIATE
 * transaction, so a writer takes the lock before it reads and never fails half-way with
 * SQLITE_BUSY_SNAPSHOT when another process committed in between.
 */
export class SqliteDb {
  readonly connection: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly transaction: Database.Transaction<(fn: () => unknown) => unknown>;
  private readonly busyTimeoutMs: number;
  /** Inside a group-commit transaction (see SqliteWriteBatch): writes run in its savepoints. */
  private isBatching = false;

  constructor(path: string, busyTimeoutMs: number, synchronous: SqliteSynchronous = 'full') {
    this.busyTimeoutMs = busyTimeoutMs;
    try {
      this.connection = new Database(path, { timeout: busyTimeoutMs });
      // WAL lets readers run while one process writes. FULL syncs the WAL at every commit,
      // so an acknowledged write survives a power cut; NORMAL syncs at checkpoints only
      // (a process crash loses nothing, an OS crash or power cut can drop the last
      // commits). Foreign keys are per connection and off by default.
      this.connection.pragma('journal_mode = WAL');
      this.connection.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.connection.pragma('foreign_keys = ON');
    } catch (error) {
      throw mapSqliteError(error, busyTimeoutMs, `open the SQLite database ${path}`);
    }
    this.transaction = this.connection.transaction((fn: () => unknown) => fn());
  }

  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  get<T>(sql: string, params: SqliteParams = {}): T | undefined {
    return this.statement(sql).get(params) as T | undefined;
  }

  all<T>(sql: string, params: SqliteParams = {}): T[] {
    return this.statement(sql).all(params) as T[];
  }

  run(sql: string, params: SqliteParams = {}): Database.RunResult {
    return this.statement(sql).run(params);
  }

  /** Runs `fn` in one BEGIN IMMEDIATE transaction: all or nothing, serialised with every other writer. */
  write<T>(fn: () => T): T {
    // In a group commit each write already has its own savepoint: a second one buys nothing.
    if (this.isBatching) return fn();
    return this.transaction.immediate(fn) as T;
  }

  /** Opens the transaction of a group commit (SqliteWriteBatch); `endBatch` always follows. */
  beginBatch(): void {
    this.statement('BEGIN IMMEDIATE').run();
    this.isBatching = true;
  }

  /** Runs one write of a group commit: its changes are undone alone when it throws. */
  inSavepoint<T>(fn: () => T): T {
    this.statement('SAVEPOINT kolejka_write').run();
    try {
      const value = fn();
      this.statement('RELEASE kolejka_write').run();
      return value;
    } catch (error) {
      if (this.connection.inTransaction) {
        this.statement('ROLLBACK TO kolejka_write').run();
        this.statement('RELEASE kolejka_write').run();
      }
      throw error;
    }
  }

  commitBatch(): void {
    this.statement('COMMIT').run();
  }

  /** Rolls back whatever did not commit (nothing after `commitBatch`). */
  endBatch(): void {
    this.isBatching = false;
    try {
      if (this.connection.inTransaction) this.statement('ROLLBACK').run();
    } catch {
      // The writes are answered with the error that got here; nothing else to undo.
    }
  }

  mapError(error: unknown, doing: string): unknown {
    return mapSqliteError(error, this.busyTimeoutMs, doing);
  }

  close(): void {
    this.statements.clear();
    if (this.connection.open) this.connection.close();
  }
}

/** Whether `error` is a constraint violation of SQLite (optionally of one kind, e.g. `FOREIGNKEY`). */
export function isConstraintError(error: unknown, kind?: string): boolean {
  return (
    error instanceof Database.SqliteError &&
    error.code.startsWith('SQLITE_CONSTRAINT') &&
    (kind === undefined || error.code === `SQLITE_CONSTRAINT_${kind}`)
  );
}

/** Turns the engine's failures people can act on into KolejkaErrors; leaves the rest alone. */
export function mapSqliteError(error: unknown, busyTimeoutMs: number, doing: string): unknown {
  if (error instanceof KolejkaError || !(error instanceof Database.SqliteError)) {
    if (error instanceof TypeError && /database connection is not open/.test(error.message))
      return new KolejkaError('KOLEJKA_UNAVAILABLE', 'The store is closed', { cause: error });
    return error;
  }
  const code = error.code;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return new KolejkaError(
      'KOLEJKA_UNAVAILABLE',
      `Could not ${doing}: the SQLite database stayed locked by another connection for ${busyTimeoutMs} ms`,
      { cause: error },
    );
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_FULL') ||
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_CORRUPT') ||
    code.startsWith('SQLITE_NOTADB') ||
    code.startsWith('SQLITE_PERM')
  )
    return new KolejkaError(
      'KOLEJKA_UNAVAILABLE',
      `Could not ${doing}: ${error.message} (${code})`,
      {
        cause: error,
      },
    );
  return error;
}
