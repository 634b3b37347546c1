import { createRequire } from 'node:module';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { describeError } from '@kolejka/cli-kit/errors';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '@kolejka/cli-kit/exit-codes';
import { optionsFromFlags, withForemanFlags } from './cli-flags.js';
import { runDaemon } from './daemon.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const DESCRIPTION = `$0 [options]

The Kolejka foreman: the node daemon that runs tasks for a Kolejka server. It keeps one
WebSocket to the server (several URLs of one system fail over), advertises its capacity and
tags, and runs the tasks the server pushes to it concurrently in Docker with the worker,
each on its own CPUs; results are uploaded, or spooled on disk and retried until the server
takes them.

Settings: defaults (the machine) < kolejka.conf [foreman] < environment < flags. Server and
credentials come from the client's configuration (KOLEJKA_SERVER, KOLEJKA_TOKEN, client.json,
kolejka.conf). SIGTERM or SIGINT drains (no new tasks; running ones finish), then exits 0;
a second signal stops at once (containers killed) and exits 0.

Exit status: 0 stopped by a signal, 1 an error (Docker unavailable, credentials refused, a
bad config file), 2 a usage error.`;

let exitCode: number = EXIT_OK;
try {
  const argv = await withForemanFlags(yargs(hideBin(process.argv)))
    .scriptName('kolejka-foreman')
    .usage(DESCRIPTION)
    .example('$0 --server http://kolejka:8000 --token $TOKEN', 'run with the machine as capacity')
    .example('$0 --cpus 4 --memory 8G --tags judge --image 20G', 'offer part of the machine')
    .strict()
    .version(version)
    .help()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(
        `kolejka-foreman: ${message}\nRun kolejka-foreman --help for the options.\n`,
      );
      process.exit(EXIT_USAGE);
    })
    .parseAsync();
  let options;
  try {
    options = optionsFromFlags(argv);
  } catch (error) {
    process.stderr.write(`kolejka-foreman: ${describeError(error)}\n`);
    process.exit(EXIT_USAGE);
  }
  exitCode = await runDaemon({
    options,
    ...(argv['log-level'] === undefined ? {} : { logLevel: argv['log-level'] }),
    isVerbose: argv.verbose === true,
    isDebug: argv.debug === true,
    isPrintConfig: argv['print-config'] === true,
  });
} catch (error) {
  process.stderr.write(`kolejka-foreman: ${describeError(error)}\n`);
  exitCode = EXIT_FAILURE;
}
process.exit(exitCode);
