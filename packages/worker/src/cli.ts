import { createRequire } from 'node:module';
import type { LogLevel } from '@kolejka/observer';
import type { Logger } from '@kolejka/spec';
// Only light modules are imported up front (node built-ins, no @kolejka/spec): the common
// command line is read and Docker asked for its info before the heavy modules load.
import { fastExecuteArgs, type ExecuteArgs } from './cli-fast-path.js';
import { LIMIT_FLAGS } from './cli-limit-flags.js';
import { DockerClient, dockerEndpointFromEnv } from './docker/client.js';

/** Exit statuses (documented in the README and in --help). */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** The daemons' winston logger (stderr: stdout carries only the summary line). */
async function createLogger(level: LogLevel): Promise<Logger & { close(): void }> {
  const { createDaemonLogger } = await import('@kolejka/observer');
  return createDaemonLogger({ name: 'kolejka-worker', level, stream: process.stderr });
}

async function execute(args: ExecuteArgs, docker?: DockerClient): Promise<number> {
  const [{ limitsFromFlags, outputLimitFromFlag }, { logLevelFromEnv }] = await Promise.all([
    import('./cli-flags.js'),
    import('./options.js'),
  ]);
  const level = logLevelFromEnv();
  const limits = limitsFromFlags(args);
  const outputLimitBytes = outputLimitFromFlag(args['output-limit']);
  const [{ createWorker }, { formatSummary }, logger] = await Promise.all([
    import('./worker.js'),
    import('./summary.js'),
    createLogger(level),
  ]);
  const worker = createWorker({ logger, ...(docker !== undefined ? { docker } : {}) });
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

async function report(error: unknown): Promise<number> {
  const { logLevelFromEnv } = await import('./options.js');
  const debug = logLevelFromEnv() === 'debug';
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`kolejka-worker: ${message}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  const code = (error as { code?: unknown }).code;
  return code === 'KOLEJKA_VALIDATION' && /^--/.test(message) ? EXIT_USAGE : EXIT_FAILED;
}

/** The whole command line through yargs: help, version, usage errors, every other form. */
async function parseWithYargs(argv: string[]): Promise<number> {
  const [{ default: yargs }, { hideBin }] = await Promise.all([
    import('yargs'),
    import('yargs/helpers'),
  ]);
  const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
  let status = EXIT_OK;
  await yargs(hideBin(argv))
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
          .group(
            Object.keys(LIMIT_FLAGS),
            "Limits (combined with the task's own; the smaller wins):",
          )
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
          status = await report(error);
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
  return status;
}

async function main(): Promise<number> {
  // The common line skips yargs (see cli-fast-path.ts); everything else is parsed by it.
  const fast = fastExecuteArgs(process.argv.slice(2));
  if (fast === undefined) return parseWithYargs(process.argv);
  // The built-in client, unless DOCKER_HOST needs dockerode (then the worker loads it).
  const endpoint = dockerEndpointFromEnv();
  const docker = endpoint !== undefined ? new DockerClient(endpoint) : undefined;
  docker?.prefetchInfo();
  try {
    return await execute(fast, docker);
  } catch (error) {
    return report(error);
  } finally {
    docker?.close();
  }
}

process.exit(await main());
