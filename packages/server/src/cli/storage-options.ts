import type { Argv } from 'yargs';
import type { Logger } from '@kolejka/spec';
import { resolveServerOptions } from '../options.js';
import { openStorage, type Storage } from '../blobs/open-storage.js';
import type { CliIo } from './io.js';

export interface StorageFlags {
  home?: string;
  db?: string;
  blobs?: string;
  config?: string;
}

/** `--home`, `--db`, `--blobs`, `--config`: every command takes them. */
export function withStorageFlags<T>(yargs: Argv<T>): Argv<T & StorageFlags> {
  return yargs
    .option('home', {
      type: 'string',
      describe: 'Data directory (SQLite file and blobs) [env KOLEJKA_HOME, default ./.kolejka]',
    })
    .option('db', {
      type: 'string',
      describe:
        'Store: a SQLite file, sqlite:PATH or mongodb://… (a replica set) [env KOLEJKA_DB, default <home>/kolejka.sqlite3]',
    })
    .option('blobs', {
      type: 'string',
      describe: 'Blob directory [env KOLEJKA_BLOBS, default <home>/blobs; GridFS with MongoDB]',
    })
    .option('config', {
      type: 'string',
      describe: 'JSON config file (see the README) [env KOLEJKA_CONFIG]',
    });
}

/** Opens the storage the flags (over env, over the config file) name; runs `body`; closes. */
export async function withStorage<R>(
  flags: StorageFlags,
  io: CliIo,
  logger: Logger,
  body: (storage: Storage) => Promise<R>,
): Promise<R> {
  const options = await resolveServerOptions(
    {
      ...(flags.home === undefined ? {} : { home: flags.home }),
      ...(flags.db === undefined ? {} : { db: flags.db }),
      ...(flags.blobs === undefined ? {} : { blobs: flags.blobs }),
      ...(flags.config === undefined ? {} : { config: flags.config }),
    },
    io.env,
  );
  const storage = await openStorage({
    home: options.home,
    ...(options.db === undefined ? {} : { db: options.db }),
    ...(options.blobs === undefined ? {} : { blobsDir: options.blobs }),
    logger,
  });
  try {
    return await body(storage);
  } finally {
    await Promise.allSettled([storage.store.close(), storage.blobs.close()]);
  }
}
