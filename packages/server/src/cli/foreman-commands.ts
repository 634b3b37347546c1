import type { Argv } from 'yargs';
import { KolejkaError, type Logger } from '@kolejka/spec';
import { table, writeLine, type CliIo } from './io.js';
import { withStorage, withStorageFlags, type StorageFlags } from './storage-options.js';

const date = (value: Date | undefined): string =>
  value === undefined ? '-' : value.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * `kolejka-server foreman list|drain|undrain`: works on the store, so also while servers run;
 * the server process holding the foreman's connection applies a drain at its next sweep of
 * the foremen records (a quarter of the lease, at most 5 s) and tells the foreman.
 */
export function foremanCommands(io: CliIo, logger: Logger) {
  const drainCommand = (isDraining: boolean) => async (argv: { id: string } & StorageFlags) => {
    await withStorage(argv, io, logger, async ({ store }) => {
      const record = await store.updateForeman(argv.id, { isDraining }, new Date());
      if (record === undefined)
        throw new KolejkaError('KOLEJKA_NOT_FOUND', `No foreman ${JSON.stringify(argv.id)}`);
    });
    writeLine(io.stdout, `foreman ${argv.id} ${isDraining ? 'drained' : 'undrained'}`);
  };
  const idArgument = (command: Argv) =>
    withStorageFlags(command).positional('id', {
      type: 'string',
      demandOption: true,
      describe: 'Foreman id (as its hello gave it)',
    });
  return (yargs: Argv) =>
    withStorageFlags(yargs)
      .command(
        'list',
        'List foremen: online, draining, connected to which server',
        withStorageFlags,
        async (argv) => {
          const foremen = await withStorage(argv, io, logger, ({ store }) => store.listForemen());
          writeLine(
            io.stdout,
            table([
              ['ID', 'USER', 'ONLINE', 'DRAINING', 'SERVER', 'LAST HEARTBEAT', 'TAGS'],
              ...foremen.map((foreman) => [
                foreman.id,
                foreman.username,
                foreman.isOnline ? 'yes' : 'no',
                foreman.isDraining ? 'yes' : 'no',
                foreman.serverId ?? '-',
                date(foreman.lastHeartbeatAt),
                foreman.tags.join(',') || '-',
              ]),
            ]),
          );
        },
      )
      .command(
        'drain <id>',
        'Drain a foreman: it gets no new work; its running tasks finish',
        idArgument,
        drainCommand(true),
      )
      .command('undrain <id>', 'Give a drained foreman work again', idArgument, drainCommand(false))
      .demandCommand(1, 'Give a foreman command: list, drain or undrain');
}
