import type { Argv } from 'yargs';
import { KolejkaError, type Logger } from '@kolejka/spec';
import { hashPassword } from '../accounts/passwords.js';
import { usernameProblem } from '../accounts/usernames.js';
import { ROLES } from '../store/store.js';
import { table, writeLine, type CliIo } from './io.js';
import { readNewPassword } from '@kolejka/cli-kit/prompt';
import { withStorage, withStorageFlags } from './storage-options.js';
import { withUserPolicyCommands } from './user-policy-commands.js';

/** Django's user name rule (the one `POST /api/v1/users` applies too). */
export function checkUsername(name: string): string {
  const problem = usernameProblem(name);
  if (problem !== undefined)
    throw new KolejkaError('KOLEJKA_VALIDATION', `${JSON.stringify(name)} ${problem}`);
  return name;
}

const date = (value: Date): string => value.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function userCommands(io: CliIo, logger: Logger) {
  return (yargs: Argv) =>
    // Queue control (issue 12): `user weight` and `user limits`.
    withUserPolicyCommands(withStorageFlags(yargs), io, logger)
      .command(
        'add <name>',
        'Create a user with one or more roles (client, processor, inspector, manager, admin)',
        (command) =>
          command
            .positional('name', { type: 'string', demandOption: true, describe: 'User name' })
            .option('role', {
              type: 'string',
              array: true,
              choices: ROLES,
              demandOption: true,
              describe:
                'Role (repeatable): client submits tasks; processor is a foreman; inspector reads everything; manager also deletes; admin does all',
            })
            .option('password-stdin', {
              type: 'boolean',
              default: false,
              describe:
                'Read the password from the first line of standard input (otherwise: asked on a terminal; none = token login only)',
            }),
        async (argv) => {
          const name = checkUsername(argv.name);
          const roles = [...new Set(argv.role)];
          const password = await readNewPassword(io, {
            isFromStdin: argv['password-stdin'],
            isOptional: true,
          });
          const passwordHash = password === undefined ? undefined : await hashPassword(password);
          await withStorage(argv, io, logger, async ({ store }) => {
            await store.createUser({
              username: name,
              roles,
              createdAt: new Date(),
              ...(passwordHash === undefined ? {} : { passwordHash }),
            });
          });
          writeLine(
            io.stdout,
            `user ${name} added (${roles.join(', ')}${password === undefined ? '; no password: use tokens' : ''})`,
          );
        },
      )
      .command(
        'passwd <name>',
        "Set a user's password",
        (command) =>
          command
            .positional('name', { type: 'string', demandOption: true, describe: 'User name' })
            .option('password-stdin', {
              type: 'boolean',
              default: false,
              describe: 'Read the password from the first line of standard input',
            }),
        async (argv) => {
          const password = await readNewPassword(io, {
            isFromStdin: argv['password-stdin'],
            isOptional: false,
          });
          const passwordHash = await hashPassword(password ?? '');
          const isDone = await withStorage(argv, io, logger, ({ store }) =>
            store.updateUser(argv.name, { passwordHash }),
          );
          if (!isDone) throw new KolejkaError('KOLEJKA_NOT_FOUND', `No user ${argv.name}`);
          writeLine(io.stdout, `password of ${argv.name} changed`);
        },
      )
      .command(
        'list',
        'List users with their roles, fair-share weight and limits (- = none, weight 1)',
        (command) => command,
        async (argv) => {
          const users = await withStorage(argv, io, logger, ({ store }) => store.listUsers());
          writeLine(
            io.stdout,
            table([
              ['USER', 'ROLES', 'PASSWORD', 'CREATED', 'WEIGHT', 'MAX-RUNNING', 'MAX-QUEUED'],
              ...users.map((user) => [
                user.username,
                user.roles.join(','),
                user.passwordHash === undefined ? 'no' : 'yes',
                date(user.createdAt),
                String(user.weight ?? 1),
                user.maxRunning === undefined ? '-' : String(user.maxRunning),
                user.maxQueued === undefined ? '-' : String(user.maxQueued),
              ]),
            ]),
          );
        },
      )
      .command(
        'remove <name>',
        'Remove a user with its tokens and sessions (its tasks and blobs stay)',
        (command) =>
          command.positional('name', { type: 'string', demandOption: true, describe: 'User name' }),
        async (argv) => {
          const isDone = await withStorage(argv, io, logger, ({ store }) =>
            store.removeUser(argv.name),
          );
          if (!isDone) throw new KolejkaError('KOLEJKA_NOT_FOUND', `No user ${argv.name}`);
          writeLine(io.stdout, `user ${argv.name} removed`);
        },
      )
      .demandCommand(1, 'Give a user command: add, passwd, list, remove, weight or limits');
}
