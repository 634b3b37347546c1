import type { Argv } from 'yargs';
import { KolejkaError, type Logger } from '@kolejka/spec';
import { issueToken } from '../accounts/issue-token.js';
import { table, writeLine, type CliIo } from './io.js';
import { withStorage, withStorageFlags } from './storage-options.js';

const date = (value: Date | undefined): string =>
  value === undefined ? '-' : value.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function tokenCommands(io: CliIo, logger: Logger) {
  return (yargs: Argv) =>
    withStorageFlags(yargs)
      .command(
        'create <user>',
        'Create an API token for a user; prints the secret once (only its hash is stored)',
        (command) =>
          command
            .positional('user', { type: 'string', demandOption: true, describe: 'User name' })
            .option('label', { type: 'string', describe: 'What the token is for' }),
        async (argv) => {
          const { token, secret } = await withStorage(argv, io, logger, async ({ store }) => {
            if ((await store.getUser(argv.user)) === undefined)
              throw new KolejkaError('KOLEJKA_NOT_FOUND', `No user ${argv.user}`);
            return issueToken(store, argv.user, new Date(), argv.label);
          });
          writeLine(io.stderr, `token ${token.id} created for ${argv.user}; it is shown only now:`);
          writeLine(io.stdout, secret);
        },
      )
      .command(
        'list [user]',
        'List tokens (all, or of one user); never their secrets',
        (command) => command.positional('user', { type: 'string', describe: 'User name' }),
        async (argv) => {
          const tokens = await withStorage(argv, io, logger, ({ store }) =>
            store.listTokens(argv.user),
          );
          writeLine(
            io.stdout,
            table([
              ['ID', 'USER', 'LABEL', 'CREATED', 'LAST USED'],
              ...tokens.map((token) => [
                token.id,
                token.username,
                token.label ?? '-',
                date(token.createdAt),
                date(token.lastUsedAt),
              ]),
            ]),
          );
        },
      )
      .command(
        'revoke <id>',
        'Revoke a token by its id',
        (command) =>
          command.positional('id', { type: 'string', demandOption: true, describe: 'Token id' }),
        async (argv) => {
          const isDone = await withStorage(argv, io, logger, ({ store }) =>
            store.revokeToken(argv.id),
          );
          if (!isDone) throw new KolejkaError('KOLEJKA_NOT_FOUND', `No token ${argv.id}`);
          writeLine(io.stdout, `token ${argv.id} revoked`);
        },
      )
      .demandCommand(1, 'Give a token command: create, list or revoke');
}
