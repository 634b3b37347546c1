import { createRequire } from 'node:module';
import yargs, { type Argv } from 'yargs';
import { describeError } from '@kolejka/cli-kit/errors';
import { isKolejkaError } from '@kolejka/spec';
import { blobCommands } from './commands/blob-commands.js';
import { configCommands } from './commands/config-commands.js';
import { executeCommand } from './commands/execute-command.js';
import { graphCommand } from './commands/graph-command.js';
import { loginCommand } from './commands/login-command.js';
import { resultCommands } from './commands/result-commands.js';
import { queueCommands } from './commands/queue-commands.js';
import { scheduleCommands } from './commands/schedule-commands.js';
import { taskCommands } from './commands/task-commands.js';
import { EXIT, EXIT_CODES_HELP, exitCodeOf } from './exit-codes.js';
import { writeLine, type CliIo } from './io.js';
import type { Runner } from './runner.js';
import { Session, withGlobalOptions, type GlobalArgs, type SessionOptions } from './session.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

class UsageError extends Error {}

const USAGE = `$0 <command> [options]

The Kolejka client: submit task directories to a Kolejka server, wait for them (pushed by
the server, not polled) and download their results. Files the server already holds are
never uploaded twice.

Settings, lowest to highest: defaults < kolejka.conf (the original's INI: ~/.config/kolejka,
/etc/kolejka, /etc/xdg/kolejka; [default] config=NAME picks the client section; keys
server, username, password and limits) < ~/.config/kolejka/client.json (server, token,
tokens, limits; written by login) < KOLEJKA_SERVER, KOLEJKA_TOKEN < --server, --token.`;

/**
 * `kolejka-client` without the process: parses `args`, runs the command and returns the
 * exit code. `cli.ts` wires it to the real process.
 */
export async function runCli(
  args: string[],
  io: CliIo,
  options: SessionOptions = {},
): Promise<number> {
  let exitCode: number = EXIT.ok;
  const run: Runner = async (argv, body) => {
    const session = new Session(io, argv, options);
    try {
      exitCode = (await body(session)) ?? EXIT.ok;
    } catch (error) {
      exitCode = io.signal.aborted ? EXIT.interrupted : exitCodeOf(error);
      session.progress.stop();
      if (session.output.isJson && isKolejkaError(error)) {
        session.output.json({
          error: {
            code: error.code,
            message: error.message,
            ...(error.details === undefined ? {} : { details: error.details }),
          },
        });
      }
      writeLine(io.stderr, `kolejka-client: ${describeError(error)}`);
      if (!isKolejkaError(error) && error instanceof Error && error.stack !== undefined) {
        session.logger.debug('stack', { stack: error.stack });
      }
    } finally {
      await session.close();
    }
  };

  const parser = withGlobalOptions(yargs(args) as Argv<GlobalArgs>)
    .scriptName('kolejka-client')
    .usage(USAGE)
    .command(executeCommand(run))
    .command(taskCommands(run))
    // Queue control (issue 12)
    .command(queueCommands(run))
    .command(graphCommand(run))
    .command(resultCommands(run))
    .command(scheduleCommands(run))
    .command(blobCommands(run))
    .command(loginCommand(run))
    .command(configCommands(run, options.etcDir))
    .demandCommand(1, 'Give a command; see --help for the list.')
    .recommendCommands()
    .strict()
    .exitProcess(false)
    .version(version)
    .help()
    .wrap(Math.min(110, io.stdout.columns ?? 100))
    .epilogue(`${EXIT_CODES_HELP}\n\nMore: the README of @kolejka/client.`)
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(message);
    });
  try {
    await parser.parseAsync(args, {}, (_error, _argv, output) => {
      if (output) writeLine(io.stdout, output);
    });
    return exitCode;
  } catch (error) {
    if (error instanceof UsageError) {
      writeLine(io.stderr, `kolejka-client: ${error.message}`);
      writeLine(io.stderr, 'Run kolejka-client --help (or <command> --help) for usage.');
      return EXIT.usage;
    }
    writeLine(io.stderr, `kolejka-client: ${describeError(error)}`);
    return exitCodeOf(error);
  }
}
