import { createRequire } from 'node:module';
import yargs from 'yargs';
import { isKolejkaError } from '@kolejka/spec';
import { describeError } from '@kolejka/cli-kit/errors';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '@kolejka/cli-kit/exit-codes';
import { isLogLevel } from '@kolejka/cli-kit/log-levels';
import { createDaemonLogger } from '@kolejka/cli-kit/logger';
import { optionsFromEnv } from '../options.js';
import { foremanCommands } from './foreman-commands.js';
import { gcBuilder, runGc } from './gc-command.js';
import { UsageError, writeLine, type CliIo } from './io.js';
import { serve, serveBuilder } from './serve-command.js';
import { queueCommands } from './queue-commands.js';
import { taskCommands } from './task-commands.js';
import { tokenCommands } from './token-commands.js';
import { userCommands } from './user-commands.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

class YargsUsageError extends Error {}

/**
 * `kolejka-server` without the process: parses `args`, runs the command and returns the
 * exit code (0 ok, 1 error, 2 usage). `cli.ts` wires it to the real process.
 */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  // The admin commands log to standard error: their standard output is their answer.
  const level = (optionsFromEnv(io.env).logLevel ?? 'warn').toLowerCase();
  const logger = createDaemonLogger({
    name: 'kolejka-server',
    level: isLogLevel(level) ? level : 'warn',
    stream: io.stderr,
  });
  const parser = yargs(args)
    .scriptName('kolejka-server')
    .usage(
      '$0 <command> [options]\n\nThe Kolejka server: HTTP API (v1 and original-compatible) on SQLite (embedded) or MongoDB, and its administration.',
    )
    .command(
      'serve',
      'Run the HTTP server (SQLite and blobs under --home with no setup; --db mongodb://… for MongoDB)',
      serveBuilder,
      (argv) => serve(argv, io),
    )
    .command(
      'user',
      'Manage users: add, passwd, list, remove, weight, limits',
      userCommands(io, logger),
    )
    // Queue control (issue 12)
    .command('queue', 'Queue control: pause, resume, status [--tag T]', queueCommands(io, logger))
    .command('token', 'Manage API tokens: create, list, revoke', tokenCommands(io, logger))
    .command('task', 'Manage tasks: list, remove, requeue', taskCommands(io, logger))
    .command('foreman', 'Manage foremen: list, drain, undrain', foremanCommands(io, logger))
    .command(
      'gc',
      'Delete blobs nothing names any more (after a grace period), expired sessions and old events',
      gcBuilder,
      (argv) => runGc(argv, io, logger),
    )
    .demandCommand(1, 'Give a command; see --help for the list.')
    .recommendCommands()
    .strict()
    .exitProcess(false)
    .version(version)
    .help()
    .wrap(Math.min(100, (io.stdout as { columns?: number }).columns ?? 100))
    .epilogue('Exit codes: 0 done, 1 an error (with a message), 2 a usage error.')
    .fail((message, error) => {
      if (error) throw error;
      throw new YargsUsageError(message);
    });
  try {
    await parser.parseAsync(args, {}, (_error, _argv, output) => {
      if (output) writeLine(io.stdout, output);
    });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof YargsUsageError || error instanceof UsageError) {
      writeLine(io.stderr, `kolejka-server: ${error.message}`);
      writeLine(io.stderr, 'Run kolejka-server --help (or <command> --help) for usage.');
      return EXIT_USAGE;
    }
    writeLine(io.stderr, `kolejka-server: ${describeError(error)}`);
    if (!isKolejkaError(error)) logger.debug('command failed', { error: String(error) });
    return EXIT_FAILURE;
  }
}
