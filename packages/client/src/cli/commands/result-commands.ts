import type { Argv } from 'yargs';
import { dumpResult } from '@kolejka/spec';
import { EXIT } from '../exit-codes.js';
import type { Runner } from '../runner.js';
import { keyArg, targetDirArg } from './positionals.js';
import type { GlobalArgs } from '../session.js';
import { assertPositiveInteger, durationMs, resultFigures, resultSummary } from '../values.js';

export function resultCommands(run: Runner) {
  return {
    command: 'result <command>',
    describe: 'Results: get, wait, delete (and put, for processors)',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .command(
          'get <key> <dir>',
          "Download a task's result into a directory (kolejka_result.json and its files)",
          (command) => command.positional('key', keyArg).positional('dir', targetDirArg),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              const got = await client.getResult(argv.key, argv.dir, session.transfer());
              session.progress.stop();
              session.output.info(
                `${argv.key}: ${resultSummary(got.result)}; result in ${got.dir}`,
                {
                  key: argv.key,
                  dir: got.dir,
                  files: Object.keys(got.result.files).sort(),
                  ...resultFigures(got.result),
                  result: dumpResult(got.result),
                },
              );
            }),
        )
        .command(
          'wait <key>',
          'Wait until a task ends (pushed by the server); exit 0 when it finished with a result, 7 when it failed or was cancelled',
          (command) =>
            command.positional('key', keyArg).option('timeout', {
              type: 'string',
              describe: 'Give up after this long, e.g. 90s, 10M (exit 5)',
            }),
          (argv) =>
            run(argv, async (session) => {
              const timeoutMs = durationMs('timeout', argv.timeout);
              const client = await session.client();
              session.progress.waitFor(argv.key, 'waiting');
              const outcome = await client.waitForResult(argv.key, {
                ...session.transfer(),
                ...(timeoutMs === undefined ? {} : { timeoutMs }),
              });
              session.progress.stop();
              const reason = outcome.reason === undefined ? '' : `: ${outcome.reason}`;
              session.output.info(`${outcome.key} ${outcome.state}${reason}`, outcome);
              return outcome.state === 'finished' ? EXIT.ok : EXIT.notRun;
            }),
        )
        .command(
          'delete <key>',
          "Delete a task's result (the server queues the task to run again)",
          (command) => command.positional('key', keyArg),
          (argv) =>
            run(argv, async (session) => {
              const client = await session.client();
              await client.deleteResult(argv.key, { signal: session.io.signal });
              session.output.info(`result of ${argv.key} deleted`, {
                key: argv.key,
                deleted: true,
              });
            }),
        )
        .command(
          'put <key> <dir>',
          'Post a result dir as the result of an assigned task (processors, as a foreman does)',
          (command) =>
            command
              .positional('key', keyArg)
              .positional('dir', {
                type: 'string',
                demandOption: true,
                describe: 'Result directory',
              })
              .option('attempt', {
                type: 'number',
                demandOption: true,
                describe: 'Attempt number of the assignment',
              }),
          (argv) =>
            run(argv, async (session) => {
              assertPositiveInteger('attempt', argv.attempt);
              const client = await session.client();
              const result = await client.putResult(argv.key, argv.dir, {
                attempt: argv.attempt,
                ...session.transfer(),
              });
              session.progress.stop();
              session.output.info(`result of ${argv.key} stored (attempt ${result.attempt})`, {
                key: argv.key,
                attempt: result.attempt,
                result,
              });
            }),
        )
        .demandCommand(1, 'Give a result command: get, wait, delete or put'),
    handler: () => undefined,
  };
}
