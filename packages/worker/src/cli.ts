import { createRequire } from 'node:module';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { LogLevel } from '@kolejka/observer';
import type { Logger } from '@kolejka/spec';
import { LIMIT_FLAGS, limitsFromFlags, outputLimitFromFlag, type LimitFlag } from './cli-flags.js';
import { logLevelFromEnv } from './options.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Exit statuses (documented in the README and in --help). */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

interface ExecuteArgs extends Partial<Record<LimitFlag, string>> {
  task: string;
  result: string;
  pull: boolean;
  temp?: string;
  consume: boolean;
  'output-limit'?: string;
}

/** The daemons' winston logger (stderr: stdout carries only the summary line). */
async function createLogger(level: LogLevel): Promise<Logger & { close(): void }> {
  const { createDaemonLogger } = await import('@kolejka/observer');
  return createDaemonLogger({ name: 'kolejka-worker', level, stream: process.stderr });
}

async function execute(args: ExecuteArgs): Promise<number> {
  const level = logLevelFromEnv();
  const limits = limitsFromFlags(args);
  const outputLimitBytes = outputLimitFromFlag(args['output-limit']);
  const [{ createWorker }, { formatSummary }, logger] = await Promise.all([
    import('./worker.js'),
    import('./summary.js'),
    createLogger(level),
  ]);
  const worker = createWorker({ logger });
  const controller = new AbortController();
  let signalled: string | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled !== undefined) process.exit(EXIT_SIGNAL[signal] ?? EXIT_FAILED);
    signalled = signal;
    logger.warn('stopping: killing the container and cleaning up', { signal });
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await worker.execute(args.task, args.result, {
      limits,
      pull: args.pull,
      consume: args.consume,
      ...(args.temp !== undefined ? { tempDir: args.temp } : {}),
      ...(outputLimitBytes !== undefined ? { outputLimitBytes } : {}),
      signal: controller.signal,
    });
    process.stdout.write(`${formatSummary(result)}\n`);
    return signalled !== undefined ? (EXIT_SIGNAL[signalled] ?? EXIT_FAILED) : EXIT_OK;
  } catch (error) {
    if (signalled !== undefined) return EXIT_SIGNAL[signalled] ?? EXIT_FAILED;
    throw error;
  } finally {
    await worker.close();
    logger.close();
  }
}

function report(error: unknown): number {
  const debug = logLevelFromEnv() === 'debug';
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`kolejka-worker: ${message}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  const code = (error as { code?: unknown }).code;
  return code === 'KOLEJKA_VALIDATION' && /^--/.test(message) ? EXIT_USAGE : EXIT_FAILED;
}

let status = EXIT_OK;
await yargs(hideBin(process.argv))
  .scriptName('kolejka-worker')
  .usage('$0 <command> [options]\n\nThe Kolejka worker: run one task directory in Docker.')
  .command(
    'execute <task> <result>',
    'Run the task in TASK_DIR in a Docker container and write its result to RESULT_DIR',
    (command) => {
      let built = command
        .positional('task', {
          type: 'string',
          demandOption: true,
          describe: 'task directory (kolejka_task.json and its files)',
        })
        .positional('result', {
          type: 'string',
          demandOption: true,
          describe: 'result directory to write (new or empty)',
        })
        .option('pull', {
          type: 'boolean',
          default: false,
          describe: 'pull the image even when it is present locally',
        })
        .option('temp', {
          type: 'string',
          describe:
            'where the per-task jail directory is made (default: KOLEJKA_WORKER_TEMP or the OS temp dir)',
        })
        .option('consume', {
          type: 'boolean',
          default: false,
          describe: 'move the task files instead of copying them, then delete TASK_DIR',
        })
        .option('output-limit', {
          type: 'string',
          describe:
            'cap of each of stdout and stderr, e.g. 64M (default 64M); beyond it the task is killed',
        });
      for (const [flag, { describe }] of Object.entries(LIMIT_FLAGS)) {
        built = built.option(flag, { type: 'string', describe: `limit: ${describe}` });
      }
      return built
        .group(Object.keys(LIMIT_FLAGS), "Limits (combined with the task's own; the smaller wins):")
        .epilog(
          [
            'Prints one line: exit code, termination reason, wall time, peak memory, CPU time.',
            "Exit status: 0 when the task ran and RESULT_DIR was written, whatever the task's own exit code (see result and termination in kolejka_result.json); 1 when the task is invalid or Docker or the host failed (nothing is written); 2 for usage errors; 130/143 after SIGINT/SIGTERM (the container is killed and everything cleaned up first).",
            'Environment: DOCKER_HOST, KOLEJKA_WORKER_TEMP, KOLEJKA_LOG_LEVEL (error, warn, info, debug).',
          ].join('\n\n'),
        );
    },
    async (args) => {
      try {
        status = await execute(args);
      } catch (error) {
        status = report(error);
      }
    },
  )
  .demandCommand(1, 'Give a command; see --help for the list.')
  .strict()
  .version(version)
  .help()
  .fail((message, error) => {
    process.stderr.write(
      `kolejka-worker: ${message || String(error)}\nSee kolejka-worker --help.\n`,
    );
    process.exit(EXIT_USAGE);
  })
  .parseAsync();
process.exit(status);
