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
        'Limits for tasks that omit them, e.g. time=60s,memory=1G; a 1G workspace unless given [env KOLEJKA_DEFAULT_LIMITS]',
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
    .option('max-client-priority', {
      type: 'number',
      describe:
        'Highest priority an owner may give its own task with PATCH /api/v1/tasks/KEY (managers: any) [env KOLEJKA_MAX_CLIENT_PRIORITY, default 0]',
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
    .option('headers-timeout', {
      type: 'string',
      describe:
        "Time a client has to send a request's headers [env KOLEJKA_HEADERS_TIMEOUT, default 30s]",
    })
    .option('body-timeout', {
      type: 'string',
      describe:
        'Longest silence while a request body arrives; a stalled upload is cut off [env KOLEJKA_BODY_TIMEOUT, default 30s]',
    })
    .option('request-timeout', {
      type: 'string',
      describe:
        'Time to receive a whole request, body included (0: none; raise it for huge uploads on slow links) [env KOLEJKA_REQUEST_TIMEOUT, default 1H]',
    })
    .option('max-connections-per-address', {
      type: 'number',
      describe:
        'Open connections one client address may hold; more get 503 [env KOLEJKA_MAX_CONNECTIONS_PER_ADDRESS, default 256]',
    })
    .option('login-attempts-per-minute', {
      type: 'number',
      describe:
        'Password logins per minute per client address and per user name; more get 429 with Retry-After (tokens are not limited) [env KOLEJKA_LOGIN_ATTEMPTS_PER_MINUTE, default 30]',
    })
    .option('metrics-token', {
      type: 'string',
      describe:
        'Restrict /metrics to requests with "Authorization: Bearer <this>" (prefer the env or the config file: flags show in ps) [env KOLEJKA_METRICS_TOKEN, default: open]',
    })
    .option('metrics-address', {
      type: 'string',
      array: true,
      describe:
        'Restrict /metrics to this client address (repeatable; with --metrics-token, either is enough) [env KOLEJKA_METRICS_ADDRESSES, default: open]',
    })
    .option('callback-loopback', {
      type: 'boolean',
      describe:
        'Allow task callbacks to loopback hosts (localhost, 127.0.0.0/8, ::1, names resolving there) that --callback-host lists [env KOLEJKA_CALLBACK_LOOPBACK, default false]',
    })
    .option('retention', {
      type: 'string',
      describe:
        "Delete ended tasks (and then their blobs) older than this, e.g. default=90D,client=30D,user:alice=7D (a user's own entry, else its longest role entry, else default) [env KOLEJKA_RETENTION, default: keep]",
    })
    .option('maintenance-interval', {
      type: 'string',
      describe:
        'How often the server applies --retention and runs gc by itself, e.g. 1H; 0: never [env KOLEJKA_MAINTENANCE_INTERVAL, default 1H]',
    })
    .option('schedule-catch-up', {
      type: 'string',
      describe:
        'A cron schedule tick missed while no server ran fires once at start when it is at most this old, e.g. 1H; older ones are skipped; 0: only ticks on time [env KOLEJKA_SCHEDULE_CATCH_UP, default 1H]',
    })
    .option('ui', {
      type: 'boolean',
      describe:
        'Serve the web dashboard at /ui/ (built by pnpm --filter @kolejka/dashboard build); --no-ui turns it off and /ui is not found [env KOLEJKA_UI=0 turns it off, default true]',
    })
    .option('sqlite-synchronous', {
      type: 'string',
      choices: ['full', 'normal'],
      describe:
        'SQLite: full syncs every commit (an acknowledged task survives a power cut); normal only at checkpoints (survives a process crash), faster [env KOLEJKA_SQLITE_SYNCHRONOUS, default full]',
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
  for (const name of [
    'max-attempts',
    'max-client-priority',
    'max-connections-per-address',
  ] as const) {
    const value = argv[name];
    if (value !== undefined && !Number.isInteger(value))
      throw new UsageError(`--${name} must be a whole number`);
  }
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
    maxClientPriority: argv['max-client-priority'],
    compatLease: argv['compat-lease'],
    sessionMaxAge: argv['session-max-age'],
    trustProxy: argv['trust-proxy'],
    shutdownTimeout: argv['shutdown-timeout'],
    headersTimeout: argv['headers-timeout'],
    bodyTimeout: argv['body-timeout'],
    requestTimeout: argv['request-timeout'],
    maxConnectionsPerAddress: argv['max-connections-per-address'],
    loginAttemptsPerMinute: argv['login-attempts-per-minute'],
    metricsToken: argv['metrics-token'],
    metricsAddresses: argv['metrics-address'],
    callbackLoopback: argv['callback-loopback'],
    retention: argv.retention,
    maintenanceInterval: argv['maintenance-interval'],
    scheduleCatchUp: argv['schedule-catch-up'],
    ui: argv.ui,
    sqliteSynchronous: argv['sqlite-synchronous'],
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
    http: options.http,
    ...(options.sqliteSynchronous === undefined
      ? {}
      : { sqliteSynchronous: options.sqliteSynchronous }),
    shutdownTimeoutMs: options.shutdownTimeoutMs,
    logger,
  });
  // Machine-readable for scripts and tests that start the server on port 0.
  io.stdout.write(
    `${JSON.stringify({
      listening: server.url,
      ...(options.settings.ui ? { dashboard: `${server.url}/ui/` } : {}),
    })}\n`,
  );
  if (!io.shutdown.aborted) await once(io.shutdown, 'abort');
  await server.close();
}
