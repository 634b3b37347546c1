import { createDaemonLogger, LOG_LEVELS, type LogLevel } from '@kolejka/observer';
import { KolejkaError, dumpLimits } from '@kolejka/spec';
import { createForeman } from './foreman.js';
import { readForemanEnv, resolveForemanOptions, type ForemanOptions } from './options.js';

export interface DaemonArguments {
  options: ForemanOptions;
  logLevel?: string;
  isVerbose?: boolean;
  isDebug?: boolean;
  isPrintConfig?: boolean;
}

/** Exit statuses of `kolejka-foreman`. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

function chooseLevel(args: DaemonArguments, fromEnv: string | undefined): LogLevel {
  const level =
    args.logLevel ?? (args.isDebug ? 'debug' : args.isVerbose ? 'info' : fromEnv) ?? 'info';
  const normalized = level.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(normalized)) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `log level ${JSON.stringify(level)} is not one of ${LOG_LEVELS.join(', ')} (KOLEJKA_LOG_LEVEL)`,
    );
  }
  return normalized as LogLevel;
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
  const logger = createDaemonLogger({
    name: 'kolejka-foreman',
    level: chooseLevel(args, env.logLevel),
  });
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
    return EXIT.ok;
  }
  const foreman = createForeman(options, { logger });
  await foreman.start();

  return new Promise<number>((resolve, reject) => {
    let signals = 0;
    let isFinished = false;
    const finish = (status: number, cause?: Error): void => {
      if (isFinished) return;
      isFinished = true;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
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
          finish(EXIT.failure);
        },
      );
    };
    function onSignal(signal: NodeJS.Signals): void {
      signals += 1;
      if (signals === 1) {
        logger.info('draining (send the signal again to stop at once)', { signal });
        void foreman.drain().then(() => stop(EXIT.ok));
      } else if (signals === 2) {
        logger.warn('stopping: running tasks are killed', { signal });
        stop(EXIT.ok);
      } else {
        finish(EXIT.failure);
      }
    }
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    void foreman.failed.then((error) => {
      logger.error('the foreman cannot go on', { error: error.message });
      stop(EXIT.failure, error);
    });
  });
}
