import path from 'node:path';
import { KolejkaError, type Logger } from '@kolejka/spec';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /**
   * Where the data lives. Absent: SQLite at `<home>/kolejka.sqlite3`. `sqlite:PATH` or a
   * plain file path: SQLite at PATH (relative paths from the current directory).
   * `mongodb://…` / `mongodb+srv://…`: MongoDB (a replica set).
   */
  url?: string;
  /** The server's data directory (the default SQLite file lives here). */
  home: string;
  logger?: Logger;
  /** SQLite: how long a write waits for another process's lock. Default 5000. */
  busyTimeoutMs?: number;
  /** SQLite: `full` (every commit synced, the default) or `normal` (see `SqliteStoreOptions`). */
  sqliteSynchronous?: 'full' | 'normal';
  /** MongoDB: how long to look for a usable server at open. Default 10000. */
  connectTimeoutMs?: number;
}

export type StoreLocation = { engine: 'sqlite'; path: string } | { engine: 'mongodb'; url: string };

export const DEFAULT_SQLITE_FILE = 'kolejka.sqlite3';

/** Which engine and where, from `OpenStoreOptions.url` (see there). */
export function parseStoreUrl(url: string | undefined, home: string): StoreLocation {
  if (url === undefined || url === '')
    return { engine: 'sqlite', path: path.resolve(home, DEFAULT_SQLITE_FILE) };
  if (/^mongodb(\+srv)?:\/\//.test(url)) return { engine: 'mongodb', url };
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '')
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        'Invalid store URL "sqlite:": give a file, as in sqlite:/var/lib/kolejka/kolejka.sqlite3',
      );
    return { engine: 'sqlite', path: file === ':memory:' ? file : path.resolve(file) };
  }
  // Anything else with a scheme is a typo or an engine we do not have (Windows drive
  // letters are paths, not schemes).
  if (/^[a-z][a-z0-9+.-]+:/i.test(url))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Unsupported store URL ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))}: use a file path, sqlite:PATH or mongodb://…`,
    );
  return { engine: 'sqlite', path: path.resolve(url) };
}

/**
 * Opens the store the options name. The MongoDB engine (and its driver) is loaded only when
 * asked for, so the embedded default starts without it.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const location = parseStoreUrl(options.url, options.home);
  const logger = options.logger === undefined ? {} : { logger: options.logger };
  switch (location.engine) {
    case 'sqlite': {
      const { openSqliteStore } = await import('./sqlite/sqlite-store.js');
      return openSqliteStore({
        path: location.path,
        ...logger,
        ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
        ...(options.sqliteSynchronous === undefined
          ? {}
          : { synchronous: options.sqliteSynchronous }),
      });
    }
    case 'mongodb': {
      const { openMongoStore } = await import('./mongodb/mongo-store.js');
      return openMongoStore({
        url: location.url,
        ...logger,
        ...(options.connectTimeoutMs === undefined
          ? {}
          : { connectTimeoutMs: options.connectTimeoutMs }),
      });
    }
  }
}
