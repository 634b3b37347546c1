import type { Argv } from 'yargs';
import { KolejkaError, type Logger } from '@kolejka/spec';
import type { UserQueuePolicyChanges, UserRecord } from '../store/store.js';
import { writeLine, type CliIo } from './io.js';
import { withStorage, type StorageFlags } from './storage-options.js';

/* `user weight` and `user limits` (issue 12): fair share and per-user limits, on the store. */

function policyOf(user: UserRecord): Record<string, unknown> {
  return {
    username: user.username,
    weight: user.weight ?? 1,
    maxRunning: user.maxRunning ?? null,
    maxQueued: user.maxQueued ?? null,
  };
}

const limitText = (value: number | undefined): string =>
  value === undefined ? 'none' : String(value);

async function apply(
  argv: StorageFlags & { name: string; json: boolean },
  io: CliIo,
  logger: Logger,
  changes: UserQueuePolicyChanges,
): Promise<void> {
  const user = await withStorage(argv, io, logger, async ({ store }) => {
    if (!(await store.setUserQueuePolicy(argv.name, changes)))
      throw new KolejkaError('KOLEJKA_NOT_FOUND', `No user ${JSON.stringify(argv.name)}`);
    return store.getUser(argv.name);
  });
  if (user === undefined) throw new KolejkaError('KOLEJKA_NOT_FOUND', `No user ${argv.name}`);
  writeLine(
    io.stdout,
    argv.json
      ? JSON.stringify(policyOf(user))
      : `user ${user.username}: weight ${user.weight ?? 1}, max running ${limitText(user.maxRunning)}, max queued ${limitText(user.maxQueued)}`,
  );
}

/** A limit flag: a whole number, or `none` to remove the limit. */
function limitValue(flag: string, value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new KolejkaError('KOLEJKA_VALIDATION', `--${flag}: give a whole number >= 0 or none`);
  return number;
}

/** Adds `weight` and `limits` to the `user` command group. */
export function withUserPolicyCommands<T extends StorageFlags>(
  yargs: Argv<T>,
  io: CliIo,
  logger: Logger,
): Argv<T> {
  return yargs
    .command(
      'weight <name> <weight>',
      "Set a user's fair-share weight (default 1): users queued at one priority share the foremen in proportion to their weights",
      (command) =>
        command
          .positional('name', { type: 'string', demandOption: true, describe: 'User name' })
          .positional('weight', { type: 'number', demandOption: true, describe: 'Weight > 0' })
          .option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
      async (argv) => {
        await apply(argv, io, logger, { weight: argv.weight });
      },
    )
    .command(
      'limits <name>',
      "Set a user's limits: tasks assigned or running at once, and tasks waiting or queued (a submission beyond it gets 429)",
      (command) =>
        command
          .positional('name', { type: 'string', demandOption: true, describe: 'User name' })
          .option('max-running', { type: 'string', describe: 'Whole number, or none' })
          .option('max-queued', { type: 'string', describe: 'Whole number, or none' })
          .option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
      async (argv) => {
        const maxRunning = limitValue('max-running', argv['max-running']);
        const maxQueued = limitValue('max-queued', argv['max-queued']);
        await apply(argv, io, logger, {
          ...(maxRunning === undefined ? {} : { maxRunning }),
          ...(maxQueued === undefined ? {} : { maxQueued }),
        });
      },
    );
}
