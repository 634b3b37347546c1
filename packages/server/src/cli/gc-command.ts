import type { Argv } from 'yargs';
import { parseTime, type Logger } from '@kolejka/spec';
import { collectGarbage } from '../ops/gc.js';
import { UsageError, writeLine, type CliIo } from './io.js';
import { withStorage, withStorageFlags } from './storage-options.js';

export function gcBuilder(yargs: Argv) {
  return withStorageFlags(yargs).option('grace', {
    type: 'string',
    describe:
      'Keep unreferenced blobs younger than this (uploads in flight), e.g. 1H [default: the gc default]',
  });
}

type GcArgs = Awaited<ReturnType<typeof gcBuilder>['argv']>;

export async function runGc(argv: GcArgs, io: CliIo, logger: Logger): Promise<void> {
  let graceMs: number | undefined;
  if (argv.grace !== undefined) {
    try {
      graceMs = parseTime(argv.grace) * 1000;
    } catch (error) {
      throw new UsageError(`--grace: ${(error as Error).message}`);
    }
  }
  const report = await withStorage(argv, io, logger, (storage) =>
    collectGarbage({
      store: storage.store,
      blobs: storage.blobs,
      logger,
      ...(graceMs === undefined ? {} : { graceMs }),
    }),
  );
  writeLine(io.stdout, JSON.stringify(report));
}
