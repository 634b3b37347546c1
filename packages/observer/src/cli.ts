import { createRequire } from 'node:module';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { describeError } from '@kolejka/cli-kit/errors';
import { parseFlag } from '@kolejka/cli-kit/flag-values';
import { EXIT_FAILURE, EXIT_OK } from '@kolejka/cli-kit/exit-codes';
import { LOG_LEVELS, logLevelFromFlags, type LogLevel } from '@kolejka/cli-kit/log-levels';
import { createDaemonLogger } from '@kolejka/cli-kit/logger';
import { onStopSignals } from '@kolejka/cli-kit/signals';
import { OBSERVER_PID_PATH, OBSERVER_SOCKET_PATH, parseTime } from '@kolejka/spec';
import { detectCgroups } from './cgroups/detect.js';
import { startDetached } from './daemon/detach.js';
import { createObserverServer } from './daemon/observer-server.js';
import { removePidFile, writePidFile } from './daemon/pid-file.js';
import { resolveObserverDaemonOptions } from './options.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

interface RunArguments {
  socket?: string;
  pidFile?: string;
  detach: boolean;
  startTimeout?: string;
  logFile?: string;
  cgroupRoot?: string;
  cgroupVersion?: 'v1' | 'v2';
  logLevel?: LogLevel;
  verbose: boolean;
  debug: boolean;
}

function fail(error: unknown): never {
  process.stderr.write(`kolejka-observer: ${describeError(error)}\n`);
  process.exit(EXIT_FAILURE);
}

async function run(args: RunArguments): Promise<void> {
  const explicitLevel = logLevelFromFlags({
    logLevel: args.logLevel,
    isDebug: args.debug,
    isVerbose: args.verbose,
  });
  const options = resolveObserverDaemonOptions({
    ...(args.socket === undefined ? {} : { socketPath: args.socket }),
    ...(args.pidFile === undefined ? {} : { pidFile: args.pidFile }),
    ...(args.cgroupRoot === undefined ? {} : { cgroupRoot: args.cgroupRoot }),
    ...(args.cgroupVersion === undefined ? {} : { cgroupVersion: args.cgroupVersion }),
    ...(explicitLevel === undefined ? {} : { logLevel: explicitLevel }),
  });

  if (args.detach) {
    const argv = [
      ...process.execArgv,
      process.argv[1] ?? '',
      ...process.argv.slice(2).filter((arg) => !/^--(no-)?detach(=.*)?$/.test(arg)),
    ];
    const pid = await startDetached({
      argv,
      pidFile: options.pidFile,
      ...(args.logFile === undefined ? {} : { logFile: args.logFile }),
      ...(args.startTimeout === undefined
        ? {}
        : { timeoutMs: (parseFlag('start-timeout', args.startTimeout, parseTime) ?? 15) * 1000 }),
    });
    process.stdout.write(`${pid}\n`);
    process.exit(EXIT_OK);
  }

  const logger = createDaemonLogger({ name: 'kolejka-observer', level: options.logLevel });
  const cgroups = await detectCgroups({
    root: options.cgroupRoot,
    ...(options.cgroupVersion === undefined ? {} : { version: options.cgroupVersion }),
    logger: logger.child({ component: 'cgroups' }),
  });
  const server = createObserverServer({ socketPath: options.socketPath, cgroups, logger });
  await server.listen();
  await writePidFile(options.pidFile);

  onStopSignals((signal, count) => {
    if (count > 1) {
      logger.warn('second signal: exiting without closing sessions', { signal });
      process.exit(EXIT_FAILURE);
    }
    logger.info('stopping: closing every session', { signal });
    server
      .close()
      .then(() => removePidFile(options.pidFile))
      .then(
        () => {
          logger.close();
          process.exit(EXIT_OK);
        },
        (error: unknown) => {
          logger.error('shutdown failed', { error });
          process.exit(EXIT_FAILURE);
        },
      );
  });
}

await yargs(hideBin(process.argv))
  .scriptName('kolejka-observer')
  .usage(
    '$0 [options]\n\n' +
      'The Kolejka observer daemon. Code inside task containers uses it to create nested cgroup ' +
      '"sessions", move processes into them, limit them (memory, swap, cpus, pids, wall time), ' +
      'read their usage and kill them, over HTTP on a unix socket, with the protocol of the ' +
      'original Kolejka observer. Callers are identified by SO_PEERCRED. Runs as root; stops on ' +
      'SIGTERM or SIGINT after closing every session (a second signal exits at once).',
  )
  .command(
    '$0',
    'run the observer daemon',
    (command) =>
      command
        .option('socket', {
          alias: 's',
          type: 'string',
          description: `unix socket to listen on; its directory is created, a stale socket is replaced, mode 0777 [env KOLEJKA_OBSERVER_SOCKET] (default ${OBSERVER_SOCKET_PATH})`,
        })
        .option('pid-file', {
          type: 'string',
          description: `where to write the daemon's pid [env KOLEJKA_OBSERVER_PID_FILE] (default ${OBSERVER_PID_PATH})`,
        })
        .option('detach', {
          type: 'boolean',
          default: false,
          description:
            'run in the background: start the daemon, wait until it listens, print its pid and exit',
        })
        .option('start-timeout', {
          type: 'string',
          description:
            'with --detach: how long to wait for the daemon to listen, e.g. 30s (default 15s)',
        })
        .option('log-file', {
          type: 'string',
          description: "with --detach: append the daemon's log here (default: discarded)",
        })
        .option('cgroup-root', {
          type: 'string',
          description:
            'where the cgroup hierarchies are mounted [env KOLEJKA_CGROUP_ROOT] (default /sys/fs/cgroup)',
        })
        .option('cgroup-version', {
          choices: ['v1', 'v2'] as const,
          description:
            'use this cgroup version instead of detecting it [env KOLEJKA_CGROUP_VERSION]',
        })
        .option('log-level', {
          choices: LOG_LEVELS,
          description:
            'log level [env KOLEJKA_LOG_LEVEL] (default info); logs are JSON lines unless stdout is a terminal',
        })
        .option('verbose', {
          alias: 'v',
          type: 'boolean',
          default: false,
          description: 'log level info',
        })
        .option('debug', {
          alias: 'd',
          type: 'boolean',
          default: false,
          description: 'log level debug (every request)',
        }),
    async (argv) => {
      try {
        await run(argv);
      } catch (error) {
        fail(error);
      }
    },
  )
  .strict()
  .version(version)
  .help()
  .epilogue('Protocol, systemd unit and cgroup support: see the README of @kolejka/observer.')
  .parseAsync();
