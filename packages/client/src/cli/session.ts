import type { Argv } from 'yargs';
import { createLineLogger } from '@kolejka/cli-kit/line-logger';
import { logLevelFromFlags, parseLogLevel, type LogLevel } from '@kolejka/cli-kit/log-levels';
import { KolejkaError, type Limits, type Logger } from '@kolejka/spec';
import {
  clientOptionsFromConfig,
  resolveClientConfig,
  type ClientConfig,
} from '../config/resolve-config.js';
import type { KolejkaClientOptions } from '../client-options.js';
import { KolejkaClient } from '../kolejka-client.js';
import type { ProgressOptions } from '../progress.js';
import { ENV_NAMES, readClientEnv, type ClientEnv } from '../options.js';
import type { CliIo } from './io.js';
import { Output } from './output.js';
import { ProgressDisplay } from './progress-display.js';
import { Terminal } from './terminal.js';

/** Options every command takes. */
export interface GlobalArgs {
  server?: string;
  token?: string;
  'config-file'?: string;
  config?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
}

export function withGlobalOptions<T>(yargs: Argv<T>): Argv<T & GlobalArgs> {
  const group = 'Server and output:';
  return yargs
    .option('server', {
      type: 'string',
      group,
      describe: `Server base URL(s), comma-separated for one system behind several (env ${ENV_NAMES.server})`,
    })
    .option('token', { type: 'string', group, describe: `API token (env ${ENV_NAMES.token})` })
    .option('config-file', {
      type: 'string',
      group,
      describe: "The original's INI config to read instead of searching for kolejka.conf",
    })
    .option('config', {
      type: 'string',
      group,
      describe:
        'Section of kolejka.conf with the client settings (default: [default] config=, else client)',
    })
    .option('json', {
      type: 'boolean',
      group,
      describe: 'Print JSON (one object per line) for scripts',
    })
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      group,
      describe: 'Print only the essential value; no progress',
    })
    .option('verbose', { alias: 'v', type: 'boolean', group, describe: 'Log what happens (info)' })
    .option('debug', { alias: 'd', type: 'boolean', group, describe: 'Log every detail (debug)' });
}

/** How `runCli` is set up beyond the process (tests move `/etc`). */
export interface SessionOptions {
  etcDir?: string;
}

/** What a running command uses: output, logging, progress, config and a client. */
export class Session {
  readonly io: CliIo;
  readonly env: ClientEnv;
  readonly output: Output;
  readonly terminal: Terminal;
  readonly logger: Logger;
  readonly progress: ProgressDisplay;
  readonly #args: GlobalArgs;
  readonly #options: SessionOptions;
  #client: KolejkaClient | undefined;

  constructor(io: CliIo, args: GlobalArgs, options: SessionOptions) {
    this.io = io;
    this.#args = args;
    this.#options = options;
    this.env = readClientEnv(io.env);
    const isJson = args.json === true;
    const isQuiet = args.quiet === true;
    this.terminal = new Terminal(io.stderr, !isJson && !isQuiet);
    this.output = new Output(io.stdout, this.terminal, { isJson, isQuiet });
    this.logger = createLineLogger({
      name: 'kolejka-client',
      level: this.#logLevel(),
      write: (line) => this.terminal.line(line),
    });
    this.progress = new ProgressDisplay(this.terminal);
  }

  /** -d, -v, else KOLEJKA_LOG_LEVEL (an unknown level is an error), else warn (-q: error). */
  #logLevel(): LogLevel {
    const fromFlags = logLevelFromFlags({
      isDebug: this.#args.debug,
      isVerbose: this.#args.verbose,
    });
    if (fromFlags !== undefined) return fromFlags;
    if (this.env.logLevel !== undefined)
      return parseLogLevel(this.env.logLevel, ENV_NAMES.logLevel);
    return this.#args.quiet === true ? 'error' : 'warn';
  }

  /** The resolved settings (flags over env over client.json over kolejka.conf). */
  config(limits?: Limits): Promise<ClientConfig> {
    const args = this.#args;
    return resolveClientConfig({
      env: this.env,
      logger: this.logger,
      ...(this.#options.etcDir === undefined ? {} : { etcDir: this.#options.etcDir }),
      flags: {
        ...(args.server === undefined ? {} : { server: args.server }),
        ...(args.token === undefined ? {} : { token: args.token }),
        ...(args['config-file'] === undefined ? {} : { configFile: args['config-file'] }),
        ...(args.config === undefined ? {} : { config: args.config }),
        ...(limits === undefined ? {} : { limits }),
      },
    });
  }

  /** A client for the configured server; closed when the command ends. */
  async client(
    options: { limits?: Limits; overrides?: Partial<KolejkaClientOptions> } = {},
  ): Promise<KolejkaClient> {
    if (this.#client !== undefined) {
      throw new KolejkaError('KOLEJKA_INTERNAL', 'A command makes one client');
    }
    const config = await this.config(options.limits);
    this.logger.debug('configuration', {
      server: config.server.value.join(','),
      serverFrom: config.server.source,
      tokenFrom:
        config.token?.source ?? (config.username === undefined ? 'none' : 'username and password'),
    });
    this.#client = new KolejkaClient({
      ...clientOptionsFromConfig(config),
      logger: this.logger,
      ...(options.overrides ?? {}),
    });
    return this.#client;
  }

  /** What a transfer call takes from the command: its signal and, on a TTY, the progress line. */
  transfer(): ProgressOptions & { signal: AbortSignal } {
    const listener = this.progress.listener;
    return { signal: this.io.signal, ...(listener === undefined ? {} : { onProgress: listener }) };
  }

  async close(): Promise<void> {
    this.progress.stop();
    await this.#client?.close();
  }
}
