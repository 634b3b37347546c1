import { createRequire } from 'node:module';
// Only light modules are imported up front (node built-ins, no @kolejka/spec, no yargs):
// the common command line is read and Docker asked for its info before the heavy modules
// load. The cli-kit subpaths below import nothing at run time.
import { describeError } from '@kolejka/cli-kit/errors';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeOfSignal } from '@kolejka/cli-kit/exit-codes';
import { onStopSignals } from '@kolejka/cli-kit/signals';
import { fastExecuteArgs, WORKER_LIMIT_FLAGS, type ExecuteArgs } from './cli-fast-path.js';
import { DockerClient, dockerEndpointFromEnv } from './docker/client.js';

/** KOLEJKA_LOG_LEVEL, default warn: a command line says only what goes wrong. */
async function logLevel(): Promise<'error' | 'warn' | 'info' | 'debug'> {
  const { logLevelFromEnv } = await import('@kolejka/cli-kit/log-levels');
  return logLevelFromEnv(process.env, 'warn');
}

async function execute(args: ExecuteArgs, docker?: DockerClient): Promise<number> {
  const [{ limitsFromFlags, outputLimitFromFlag }, level] = await Promise.all([
    import('./cli-flags.js'),
    logLevel(),
  ]);
  const limits = limitsFromFlags(args);
  const outputLimitBytes = outputLimitFromFlag(args['output-limit']);
  const [{ createWorker }, { formatSummary }, { createDaemonLogger }] = await Promise.all([
    import('./worker.js'),
    import('./summary.js'),
    import('@kolejka/cli-kit/logger'),
  ]);
  // On stderr: stdout carries only the summary line.
  const logger = createDaemonLogger({ name: 'kolejka-worker', level, stream: process.stderr });
  const worker = createWorker({ logger, ...(docker !== undefined ? { docker } : {}) });
  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const stopListening = onStopSignals((signal, count) => {
    if (count > 1) process.exit(exitCodeOfSignal(signal));
    signalled = signal;
    logger.warn('stopping: killing the container and cleaning up', { signal });
    controller.abort();
  });
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
    return signalled !== undefined ? exitCodeOfSignal(signalled) : EXIT_OK;
  } catch (error) {
    if (signalled !== undefined) return exitCodeOfSignal(signalled);
    throw error;
  } finally {
    stopListening();
    await worker.close();
    logger.close();
  }
}

async function report(error: unknown): Promise<number> {
  // A bad KOLEJKA_LOG_LEVEL may be the error being reported: it then shows no stack.
  const isDebug = await logLevel().then(
    (level) => level === 'debug',
    () => false,
  );
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`kolejka-worker: ${describeError(error)}\n`);
  if (isDebug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  const code = (error as { code?: unknown }).code;
  return code === 'KOLEJKA_VALIDATION' && /^--/.test(message) ? EXIT_USAGE : EXIT_FAILURE;
}

/** The whole command line through yargs: help, version, usage errors, every other form. */
async function parseWithYargs(argv: string[]): Promise<number> {
  const [{ default: yargs }, { hideBin }, { withLimitFlags }] = await Promise.all([
    import('yargs'),
    import('yargs/helpers'),
    import('@kolejka/cli-kit/limit-flags'),
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
        const built = command
          .positional('task', {
            type: 'string',
            demandOption: true,
            describe:
              'task directory (kolejka_task.json and its files; symbolic links are followed, as kolejka-judge makes them)',
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
        return withLimitFlags(built, {
          flags: WORKER_LIMIT_FLAGS,
          group: "Limits (combined with the task's own; the smaller wins):",
        }).epilog(
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
