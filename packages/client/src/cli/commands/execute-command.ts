import type { Argv } from 'yargs';
import { dependencyOptionsFromFlags, withDependencyFlags } from './dependency-flags.js';
import { KolejkaError, isKolejkaError, isTerminalTaskState } from '@kolejka/spec';
import { EXIT } from '../exit-codes.js';
import { limitsFromFlags, withLimitFlags } from '@kolejka/cli-kit/limit-flags';
import type { Runner } from '../runner.js';
import type { GlobalArgs } from '../session.js';
import { durationMs, isSuccess, resultFigures, resultSummary } from '../values.js';

interface ExecuteArgs extends GlobalArgs {
  'task-dir': string;
  'result-dir': string;
  consume?: boolean;
  timeout?: string;
  interval?: string;
  priority?: number;
  after?: string[];
  'after-policy'?: string;
  input?: string[];
}

export function executeCommand(run: Runner) {
  return {
    command: 'execute <task-dir> <result-dir>',
    describe:
      'Run a task dir on the server and write its result dir: put (uploading only files the server lacks), wait (pushed, not polled), get',
    builder: (yargs: Argv<GlobalArgs>) =>
      withLimitFlags(
        withDependencyFlags(yargs)
          .positional('task-dir', {
            type: 'string',
            demandOption: true,
            describe:
              'Task directory (kolejka_task.json and its files; symbolic links are followed and their content uploaded)',
          })
          .positional('result-dir', {
            type: 'string',
            demandOption: true,
            describe: 'Where the result goes (created)',
          })
          .option('consume', {
            type: 'boolean',
            describe: 'Delete the task dir once the result dir is written',
          })
          .option('timeout', {
            type: 'string',
            describe: 'Give up after this long (e.g. 90s, 10M); the task keeps running (exit 5)',
          })
          .option('interval', {
            type: 'string',
            describe: 'Polling period when the server has no events channel (default 1s)',
          })
          .option('priority', { type: 'number', describe: 'Queue priority, -1000..1000' })
          .epilogue(
            'Prints the task key at once, each state change, then a summary (exit code, termination reason, time, memory). Exit 0 when the command exited 0, 1 when it failed or hit a limit, 7 when the server could not run the task; see kolejka-client --help for the rest.',
          ),
      ),
    handler: (argv: ExecuteArgs) =>
      run(argv, async (session) => {
        const { output, progress } = session;
        const timeoutMs = durationMs('timeout', argv.timeout);
        const pollIntervalMs = durationMs('interval', argv.interval);
        const client = await session.client({
          limits: limitsFromFlags(argv as unknown as Record<string, unknown>),
          overrides: pollIntervalMs === undefined ? {} : { pollIntervalMs },
        });
        let key = '';
        const running = client.execute(argv['task-dir'], argv['result-dir'], {
          signal: session.io.signal,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(argv.consume === true ? { consume: true } : {}),
          ...(argv.priority === undefined ? {} : { priority: argv.priority }),
          ...dependencyOptionsFromFlags(argv),
          onSubmitted: (task) => {
            key = task.key;
            output.info(task.key, { event: 'submitted', key: task.key, state: task.state });
            progress.waitFor(task.key, task.state);
          },
          onProgress: (event) => {
            progress.listener?.(event);
            if (event.type !== 'state') return;
            const reason = event.reason === undefined ? '' : `: ${event.reason}`;
            // People read the end in the summary line; scripts get every state.
            const human = isTerminalTaskState(event.state)
              ? undefined
              : `${event.key} ${event.state}${reason}`;
            output.info(human, {
              event: 'state',
              key: event.key,
              state: event.state,
              attempt: event.attempt,
              ...(event.reason === undefined ? {} : { reason: event.reason }),
            });
          },
        });
        let run;
        try {
          run = await running;
        } catch (error) {
          if (
            key !== '' &&
            isKolejkaError(error, 'KOLEJKA_CANCELLED') &&
            session.io.signal.aborted
          ) {
            throw new KolejkaError(
              'KOLEJKA_CANCELLED',
              `Interrupted; task ${key} stays on the server: kolejka-client result wait ${key} to go on waiting, kolejka-client task cancel ${key} to stop it`,
            );
          }
          throw error;
        }
        progress.stop();
        const { outcome, result } = run;
        if (result === undefined) {
          const reason = outcome.reason === undefined ? '' : `: ${outcome.reason}`;
          output.info(`${key} ${outcome.state} without a result${reason}`, {
            event: 'done',
            key,
            state: outcome.state,
            ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
          });
          session.logger.error('the task could not be run', {
            task: key,
            state: outcome.state,
            reason: outcome.reason,
          });
          return EXIT.notRun;
        }
        output.info(`${key} finished: ${resultSummary(result)}; result in ${run.resultDir ?? ''}`, {
          event: 'done',
          key,
          state: outcome.state,
          ...resultFigures(result),
          resultDir: run.resultDir,
        });
        return isSuccess(result) ? EXIT.ok : EXIT.taskFailed;
      }),
  };
}
