import { EXIT_FAILURE, EXIT_OK } from '@kolejka/cli-kit/exit-codes';
import { logLevelFromEnv, logLevelFromFlags, LOG_LEVEL_ENV } from '@kolejka/cli-kit/log-levels';
import { createDaemonLogger } from '@kolejka/cli-kit/logger';
import { onStopSignals } from '@kolejka/cli-kit/signals';
import { dumpLimits } from '@kolejka/spec';
import { createForeman } from './foreman.js';
import { readForemanEnv, resolveForemanOptions, type ForemanOptions } from './options.js';

export interface DaemonArguments {
  options: ForemanOptions;
  logLevel?: string;
  isVerbose?: boolean;
  isDebug?: boolean;
  isPrintConfig?: boolean;
}

/**
 * Runs the foreman until it is told to stop: the first SIGTERM/SIGINT drains (no new
 * tasks, running ones finish and report) and then exits 0; a second one stops at once
 * (containers killed, work dirs removed, spooled results kept for the next start) and
 * exits 0; a third exits 1 without waiting. Resolves with the exit status; rejects (after
 * stopping) when the foreman cannot go on, e.g. the server refused its token.
 */
export async function runDaemon(args: DaemonArguments): Promise<number> {
  const env = readForemanEnv();
  // Flags, else KOLEJKA_LOG_LEVEL (an unknown level is an error), else info. On stdout, as
  // every Kolejka daemon: stderr keeps the reason it stopped (cli.ts).
  const level =
    logLevelFromFlags({
      logLevel: args.logLevel,
      isDebug: args.isDebug,
      isVerbose: args.isVerbose,
    }) ?? logLevelFromEnv({ [LOG_LEVEL_ENV]: env.logLevel }, 'info');
  const logger = createDaemonLogger({ name: 'kolejka-foreman', level });
  const options = await resolveForemanOptions(args.options, { env, logger });
  if (args.isPrintConfig === true) {
    const { machine, token: _token, password: _password, ...shown } = options;
    process.stdout.write(
      `${JSON.stringify(
        {
          ...shown,
          capacity: dumpLimits(options.capacity),
          concurrency: Number.isFinite(options.concurrency) ? options.concurrency : null,
          hasToken: options.token !== undefined,
          machine: { ...machine, gpus: machine.gpus.map((gpu) => gpu.name) },
        },
        null,
        2,
      )}\n`,
    );
    logger.close();
    return EXIT_OK;
  }
  const foreman = createForeman(options, { logger });
  await foreman.start();

  return new Promise<number>((resolve, reject) => {
    let isFinished = false;
    const finish = (status: number, cause?: Error): void => {
      if (isFinished) return;
      isFinished = true;
      stopListening();
      logger.close();
      // The reason of a failure goes to standard error too (cli.ts prints it), not only to the log.
      if (cause !== undefined) reject(cause);
      else resolve(status);
    };
    const stop = (status: number, cause?: Error): void => {
      foreman.close().then(
        () => finish(status, cause),
        (error: unknown) => {
          logger.error('stopping failed', { error: String(error) });
          finish(EXIT_FAILURE);
        },
      );
    };
    const stopListening = onStopSignals((signal, count) => {
      if (count === 1) {
        logger.info('draining (send the signal again to stop at once)', { signal });
        void foreman.drain().then(() => stop(EXIT_OK));
      } else if (count === 2) {
        logger.warn('stopping: running tasks are killed', { signal });
        stop(EXIT_OK);
      } else {
        finish(EXIT_FAILURE);
      }
    });
    void foreman.failed.then((error) => {
      logger.error('the foreman cannot go on', { error: error.message });
      stop(EXIT_FAILURE, error);
    });
  });
}
