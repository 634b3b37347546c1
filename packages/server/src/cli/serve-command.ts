import type { Argv } from 'yargs';
import { once } from 'node:events';
import { createDaemonLogger } from '@kolejka/cli-kit/logger';
import { resolveServerOptions, type ServerOptions } from '../options.js';
import { startServer } from '../server.js';
import { UsageError, type CliIo } from './io.js';
import { withStorageFlags } from './storage-options.js';

export function serveBuilder(yargs: Argv) {
  return withStorageFlags(yargs)
    .option('host', {
      type: 'string',
      describe: 'Interface to listen on [env KOLEJKA_HOST, default 127.0.0.1]',
    })
    .option('port', {
      type: 'number',
      describe: 'TCP port, 0 = any free [env KOLEJKA_PORT, default 8000]',
    })
    .option('default-limits', {
      type: 'string',
      describe:
        'Limits for tasks that omit them, e.g. time=60s,memory=1G [env KOLEJKA_DEFAULT_LIMITS]',
    })
    .option('max-limits', {
      type: 'string',
      describe:
        "Maximum task limits (the original's LIMIT_*; the smaller value wins), e.g. time=10M,memory=8G [env KOLEJKA_MAX_LIMITS]",
    })
    .option('image-pattern', {
      type: 'string',
      array: true,
      describe:
        'Accepted image names: a regular expression matching the whole name (repeatable) [env KOLEJKA_IMAGE_PATTERNS, default .*]',
    })
    .option('callback-host', {
      type: 'string',
      array: true,
      describe:
        'Host a task callback_url may name (repeatable) [env KOLEJKA_CALLBACK_HOSTS, default localhost,127.0.0.1]',
    })
    .option('max-json-size', {
      type: 'string',
      describe: 'Largest task/result/dequeue body, e.g. 4M [env KOLEJKA_MAX_JSON_SIZE, default 4M]',
    })
    .option('max-blob-size', {
      type: 'string',
      describe: 'Largest blob upload, e.g. 4G [env KOLEJKA_MAX_BLOB_SIZE, default 4G]',
    })
    .option('lease', {
      type: 'string',
      describe:
        'Lease of a push assignment, renewed by heartbeats [env KOLEJKA_LEASE, default 60s]',
    })
    .option('max-attempts', {
      type: 'number',
      describe: 'A task fails after losing this many leases [env KOLEJKA_MAX_ATTEMPTS, default 3]',
    })
    .option('compat-lease', {
      type: 'string',
      describe:
        'Lease of a task taken by an original foreman (/queue/dequeue/; never renewed) [env KOLEJKA_COMPAT_LEASE, default 1H]',
    })
    .option('session-max-age', {
      type: 'string',
      describe: 'Life of an original-API login session [env KOLEJKA_SESSION_MAX_AGE, default 14D]',
    })
    .option('trust-proxy', {
      type: 'boolean',
      describe:
        'Trust X-Forwarded-* of a reverse proxy (HTTPS detection) [env KOLEJKA_TRUST_PROXY]',
    })
    .option('shutdown-timeout', {
      type: 'string',
      describe:
        'How long a stop waits for requests in flight [env KOLEJKA_SHUTDOWN_TIMEOUT, default 10s]',
    })
    .option('log-level', {
      type: 'string',
      choices: ['error', 'warn', 'info', 'debug'],
      describe: 'Log level [env KOLEJKA_LOG_LEVEL, default info]',
    });
}

type ServeArgs = Awaited<ReturnType<typeof serveBuilder>['argv']>;

function flagsOf(argv: ServeArgs): ServerOptions {
  if (argv.port !== undefined && !Number.isInteger(argv.port))
    throw new UsageError('--port must be a whole number');
  if (argv['max-attempts'] !== undefined && !Number.isInteger(argv['max-attempts']))
    throw new UsageError('--max-attempts must be a whole number');
  const flags: ServerOptions = {
    host: argv.host,
    port: argv.port,
    home: argv.home,
    db: argv.db,
    blobs: argv.blobs,
    config: argv.config,
    defaultLimits: argv['default-limits'],
    maxLimits: argv['max-limits'],
    imagePatterns: argv['image-pattern'],
    callbackHosts: argv['callback-host'],
    maxJsonSize: argv['max-json-size'],
    maxBlobSize: argv['max-blob-size'],
    lease: argv.lease,
    maxAttempts: argv['max-attempts'],
    compatLease: argv['compat-lease'],
    sessionMaxAge: argv['session-max-age'],
    trustProxy: argv['trust-proxy'],
    shutdownTimeout: argv['shutdown-timeout'],
    logLevel: argv['log-level'],
  };
  return flags;
}

/** Runs the server until the shutdown signal, then drains and closes it. */
export async function serve(argv: ServeArgs, io: CliIo): Promise<void> {
  const options = await resolveServerOptions(flagsOf(argv), io.env);
  // The daemon's log is its output (standard output, as every Kolejka daemon's).
  const logger = createDaemonLogger({ name: 'kolejka-server', level: options.logLevel });
  const server = await startServer({
    host: options.host,
    port: options.port,
    home: options.home,
    ...(options.db === undefined ? {} : { db: options.db }),
    ...(options.blobs === undefined ? {} : { blobsDir: options.blobs }),
    settings: options.settings,
    shutdownTimeoutMs: options.shutdownTimeoutMs,
    logger,
  });
  // Machine-readable for scripts and tests that start the server on port 0.
  io.stdout.write(`${JSON.stringify({ listening: server.url })}\n`);
  if (!io.shutdown.aborted) await once(io.shutdown, 'abort');
  await server.close();
}
