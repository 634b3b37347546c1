import path from 'node:path';
import { KolejkaError, parseBool, parseMemory, parseTime, type LimitsJson } from '@kolejka/spec';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '@kolejka/cli-kit/log-levels';
import { readConfigFile } from './read-config-file.js';
import type { HttpLimits } from './http/connection-limits.js';
import type { ServerSettingsOptions } from './server-settings.js';

/**
 * Every setting of `kolejka-server`, resolved once from (lowest to highest) defaults < the
 * config file (`--config FILE`, JSON) < `KOLEJKA_*` environment variables < flags. This is
 * the only module that reads the environment.
 */
export interface ServerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port (0 = any free one). Default 8000. */
  port?: number;
  /** Data directory (SQLite file, blobs). Default `KOLEJKA_HOME` or `./.kolejka`. */
  home?: string;
  /** Store URL: `sqlite:PATH`, a file path, or `mongodb://…`. Default: SQLite in home. */
  db?: string;
  /** Blob directory. Default `<home>/blobs` (GridFS when `db` is MongoDB). */
  blobs?: string;
  /** JSON config file. */
  config?: string;
  /** Limits for tasks that omit them: JSON object or `memory=1G,time=10s`. */
  defaultLimits?: string | LimitsJson;
  /** Maximum task limits (the original's LIMIT_*), same forms. */
  maxLimits?: string | LimitsJson;
  /** Accepted image name patterns (regular expressions, whole-name match). */
  imagePatterns?: string[];
  /** Host names callbacks may go to. */
  callbackHosts?: string[];
  callbackAttempts?: number;
  /** First backoff between callback attempts (time grammar, e.g. `1s`). */
  callbackBackoff?: string | number;
  callbackTimeout?: string | number;
  callbackUserAgent?: string;
  /** Largest JSON body (memory grammar, e.g. `4M`). */
  maxJsonSize?: string | number;
  /** Largest blob upload (memory grammar, e.g. `4G`). */
  maxBlobSize?: string | number;
  /** Lease of a push assignment (time grammar, e.g. `60s`). */
  lease?: string | number;
  /** Lost leases after which a task fails. */
  maxAttempts?: number;
  /** Queue control (issue 12): highest priority an owner may give its own task by PATCH. */
  maxClientPriority?: number;
  /** Lease of a task taken by an original foreman through `/queue/dequeue/` (e.g. `1H`). */
  compatLease?: string | number;
  /** Life of an original-API session (e.g. `14D`). */
  sessionMaxAge?: string | number;
  /** Trust `X-Forwarded-*` of a reverse proxy. */
  trustProxy?: boolean;
  /** How long shutdown waits for requests in flight (e.g. `10s`). */
  shutdownTimeout?: string | number;
  /** Time to receive a request's headers (e.g. `30s`). */
  headersTimeout?: string | number;
  /** Longest silence while a request body arrives (e.g. `30s`). */
  bodyTimeout?: string | number;
  /** Time to receive a whole request, body included (e.g. `1H`; 0: none). */
  requestTimeout?: string | number;
  /** Open connections one client address may hold. */
  maxConnectionsPerAddress?: number;
  /** Password logins per minute per client address and per user name. */
  loginAttemptsPerMinute?: number;
  /** Bearer token that may read `/metrics` (setting it restricts `/metrics`). */
  metricsToken?: string;
  /** Client addresses that may read `/metrics` (setting them restricts `/metrics`). */
  metricsAddresses?: string[];
  /** Allow callbacks to loopback hosts listed in `callbackHosts`. */
  callbackLoopback?: boolean;
  /** How long ended tasks are kept: `default=90D,client=30D,user:alice=7D`. */
  retention?: string;
  /** How often retention and gc run in the server (e.g. `1H`; 0: never). */
  maintenanceInterval?: string | number;
  /** How long ago a missed cron tick may be and still fire once at start (e.g. `1H`; 0: never). */
  scheduleCatchUp?: string | number;
  /** Serve the web dashboard at `/ui/` (false: `--no-ui`, `KOLEJKA_UI=0`). Default true. */
  ui?: boolean;
  /** SQLite `synchronous`: `full` (default) or `normal`. */
  sqliteSynchronous?: string;
  /** `error`, `warn`, `info` or `debug`. Default `info`. */
  logLevel?: string;
}

export interface ResolvedServerOptions {
  host: string;
  port: number;
  home: string;
  db?: string;
  blobs?: string;
  settings: ServerSettingsOptions;
  /** The HTTP limits given (the rest default in `startServer`). */
  http: Partial<HttpLimits>;
  sqliteSynchronous?: 'full' | 'normal';
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
}

export const DEFAULT_OPTIONS = {
  host: '127.0.0.1',
  port: 8000,
  home: './.kolejka',
  shutdownTimeoutMs: 10_000,
  logLevel: 'info',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/** Option name → environment variable. */
export const ENV_NAMES: Readonly<Record<keyof ServerOptions, string>> = {
  host: 'KOLEJKA_HOST',
  port: 'KOLEJKA_PORT',
  home: 'KOLEJKA_HOME',
  db: 'KOLEJKA_DB',
  blobs: 'KOLEJKA_BLOBS',
  config: 'KOLEJKA_CONFIG',
  defaultLimits: 'KOLEJKA_DEFAULT_LIMITS',
  maxLimits: 'KOLEJKA_MAX_LIMITS',
  imagePatterns: 'KOLEJKA_IMAGE_PATTERNS',
  callbackHosts: 'KOLEJKA_CALLBACK_HOSTS',
  callbackAttempts: 'KOLEJKA_CALLBACK_ATTEMPTS',
  callbackBackoff: 'KOLEJKA_CALLBACK_BACKOFF',
  callbackTimeout: 'KOLEJKA_CALLBACK_TIMEOUT',
  callbackUserAgent: 'KOLEJKA_CALLBACK_USER_AGENT',
  maxJsonSize: 'KOLEJKA_MAX_JSON_SIZE',
  maxBlobSize: 'KOLEJKA_MAX_BLOB_SIZE',
  lease: 'KOLEJKA_LEASE',
  maxAttempts: 'KOLEJKA_MAX_ATTEMPTS',
  maxClientPriority: 'KOLEJKA_MAX_CLIENT_PRIORITY',
  compatLease: 'KOLEJKA_COMPAT_LEASE',
  sessionMaxAge: 'KOLEJKA_SESSION_MAX_AGE',
  trustProxy: 'KOLEJKA_TRUST_PROXY',
  shutdownTimeout: 'KOLEJKA_SHUTDOWN_TIMEOUT',
  headersTimeout: 'KOLEJKA_HEADERS_TIMEOUT',
  bodyTimeout: 'KOLEJKA_BODY_TIMEOUT',
  requestTimeout: 'KOLEJKA_REQUEST_TIMEOUT',
  maxConnectionsPerAddress: 'KOLEJKA_MAX_CONNECTIONS_PER_ADDRESS',
  loginAttemptsPerMinute: 'KOLEJKA_LOGIN_ATTEMPTS_PER_MINUTE',
  metricsToken: 'KOLEJKA_METRICS_TOKEN',
  metricsAddresses: 'KOLEJKA_METRICS_ADDRESSES',
  callbackLoopback: 'KOLEJKA_CALLBACK_LOOPBACK',
  retention: 'KOLEJKA_RETENTION',
  maintenanceInterval: 'KOLEJKA_MAINTENANCE_INTERVAL',
  scheduleCatchUp: 'KOLEJKA_SCHEDULE_CATCH_UP',
  ui: 'KOLEJKA_UI',
  sqliteSynchronous: 'KOLEJKA_SQLITE_SYNCHRONOUS',
  logLevel: 'KOLEJKA_LOG_LEVEL',
};

export const LIST_OPTIONS = new Set<keyof ServerOptions>([
  'imagePatterns',
  'callbackHosts',
  'metricsAddresses',
]);
export const NUMBER_OPTIONS = new Set<keyof ServerOptions>([
  'port',
  'callbackAttempts',
  'maxAttempts',
  'maxClientPriority',
  'maxConnectionsPerAddress',
  'loginAttemptsPerMinute',
]);
export const BOOLEAN_OPTIONS = new Set<keyof ServerOptions>([
  'trustProxy',
  'callbackLoopback',
  'ui',
]);

/** A list from the environment: a JSON array, or comma-separated (patterns with commas: JSON). */
function envList(text: string): string[] {
  if (text.trim().startsWith('[')) return JSON.parse(text) as string[];
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** The `KOLEJKA_*` variables that are set, as options. */
export function optionsFromEnv(env: Env): ServerOptions {
  const options: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(ENV_NAMES) as [keyof ServerOptions, string][]) {
    const text = env[variable];
    if (text === undefined || text === '') continue;
    try {
      if (LIST_OPTIONS.has(name)) options[name] = envList(text);
      else if (NUMBER_OPTIONS.has(name)) options[name] = Number(text);
      else if (BOOLEAN_OPTIONS.has(name)) options[name] = parseBool(text);
      else options[name] = text;
    } catch (error) {
      throw new KolejkaError('KOLEJKA_VALIDATION', `${variable}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return options;
}

/** `memory=1G,time=10s` or a JSON object, into limits JSON (checked later by the settings). */
export function parseLimitsOption(value: string | LimitsJson, what: string): LimitsJson {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return {};
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text) as LimitsJson;
    } catch (error) {
      throw new KolejkaError('KOLEJKA_VALIDATION', `${what} is not valid JSON`, { cause: error });
    }
  }
  const limits: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const [name, limit] = pair.split('=').map((part) => part.trim());
    if (!name || limit === undefined || limit === '') {
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `${what}: ${JSON.stringify(pair)} is not name=value (e.g. memory=1G,time=10s)`,
      );
    }
    limits[name] = limit;
  }
  return limits;
}

function milliseconds(value: string | number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseTime(value) * 1000;
  } catch (error) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `${what}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function bytes(value: string | number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseMemory(value);
  } catch (error) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `${what}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** What is wrong with one key of the file, or undefined. */
function configProblemOf(key: string, value: unknown): string | undefined {
  // Every option except the file itself.
  const known = Object.keys(ENV_NAMES).filter((name) => name !== 'config');
  const name = key as keyof ServerOptions;
  if (!known.includes(key)) return `is not a setting (known: ${known.join(', ')})`;
  if (LIST_OPTIONS.has(name)) {
    const isList = Array.isArray(value) && value.every((item) => typeof item === 'string');
    return isList ? undefined : 'must be a list of strings';
  }
  if (NUMBER_OPTIONS.has(name)) return typeof value === 'number' ? undefined : 'must be a number';
  if (BOOLEAN_OPTIONS.has(name))
    return typeof value === 'boolean' ? undefined : 'must be true or false';
  if (name === 'defaultLimits' || name === 'maxLimits') {
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    return isObject ? undefined : 'must be an object of limits';
  }
  return typeof value === 'string' || typeof value === 'number'
    ? undefined
    : 'must be a string or a number';
}

/** Drops undefined values so a lower layer's value shows through. */
function defined(options: ServerOptions): ServerOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** Layers flags over the environment over the config file, then resolves every value. */
export async function resolveServerOptions(
  flags: ServerOptions,
  env: Env = process.env,
): Promise<ResolvedServerOptions> {
  const fromEnv = optionsFromEnv(env);
  const configFile = flags.config ?? fromEnv.config;
  const fromFile =
    configFile === undefined
      ? {}
      : await readConfigFile<ServerOptions>(configFile, configProblemOf);
  const merged: ServerOptions = { ...defined(fromFile), ...defined(fromEnv), ...defined(flags) };

  const port = merged.port ?? DEFAULT_OPTIONS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `The port must be 0..65535, not ${port}`);
  }
  const logLevel = (merged.logLevel ?? DEFAULT_OPTIONS.logLevel).toLowerCase();
  if (!isLogLevel(logLevel)) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `The log level must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(logLevel)}`,
    );
  }
  const settings: ServerSettingsOptions = {};
  const set = <K extends keyof ServerSettingsOptions>(
    name: K,
    value: ServerSettingsOptions[K] | undefined,
  ): void => {
    if (value !== undefined) settings[name] = value;
  };
  if (merged.defaultLimits !== undefined)
    set('defaultLimits', parseLimitsOption(merged.defaultLimits, 'defaultLimits'));
  if (merged.maxLimits !== undefined)
    set('maxLimits', parseLimitsOption(merged.maxLimits, 'maxLimits'));
  set('imagePatterns', merged.imagePatterns);
  set('callbackHosts', merged.callbackHosts);
  set('callbackAttempts', merged.callbackAttempts);
  set('callbackBackoffMs', milliseconds(merged.callbackBackoff, 'callbackBackoff'));
  set('callbackTimeoutMs', milliseconds(merged.callbackTimeout, 'callbackTimeout'));
  set('callbackUserAgent', merged.callbackUserAgent);
  set('maxJsonBytes', bytes(merged.maxJsonSize, 'maxJsonSize'));
  set('maxBlobBytes', bytes(merged.maxBlobSize, 'maxBlobSize'));
  set('leaseMs', milliseconds(merged.lease, 'lease'));
  set('maxAttempts', merged.maxAttempts);
  set('maxClientPriority', merged.maxClientPriority);
  set('compatLeaseMs', milliseconds(merged.compatLease, 'compatLease'));
  set('sessionMaxAgeMs', milliseconds(merged.sessionMaxAge, 'sessionMaxAge'));
  set('trustProxy', merged.trustProxy);
  set('loginAttemptsPerMinute', merged.loginAttemptsPerMinute);
  set('metricsToken', merged.metricsToken);
  set('metricsAddresses', merged.metricsAddresses);
  set('callbackLoopback', merged.callbackLoopback);
  set('retention', merged.retention);
  set('maintenanceIntervalMs', milliseconds(merged.maintenanceInterval, 'maintenanceInterval'));
  set('scheduleCatchUpMs', milliseconds(merged.scheduleCatchUp, 'scheduleCatchUp'));
  set('ui', merged.ui);

  const http: Partial<HttpLimits> = {};
  const setHttp = (name: keyof HttpLimits, value: number | undefined): void => {
    if (value !== undefined) http[name] = value;
  };
  setHttp('headersTimeoutMs', milliseconds(merged.headersTimeout, 'headersTimeout'));
  setHttp('bodyTimeoutMs', milliseconds(merged.bodyTimeout, 'bodyTimeout'));
  setHttp('requestTimeoutMs', milliseconds(merged.requestTimeout, 'requestTimeout'));
  setHttp('maxConnectionsPerAddress', merged.maxConnectionsPerAddress);
  const sqliteSynchronous = merged.sqliteSynchronous?.toLowerCase();
  if (
    sqliteSynchronous !== undefined &&
    sqliteSynchronous !== 'full' &&
    sqliteSynchronous !== 'normal'
  )
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `sqliteSynchronous must be full or normal, not ${JSON.stringify(sqliteSynchronous)}`,
    );

  return {
    host: merged.host ?? DEFAULT_OPTIONS.host,
    port,
    home: path.resolve(merged.home ?? DEFAULT_OPTIONS.home),
    ...(merged.db === undefined ? {} : { db: merged.db }),
    ...(merged.blobs === undefined ? {} : { blobs: path.resolve(merged.blobs) }),
    settings,
    http,
    ...(sqliteSynchronous === undefined ? {} : { sqliteSynchronous }),
    shutdownTimeoutMs:
      milliseconds(merged.shutdownTimeout, 'shutdownTimeout') ?? DEFAULT_OPTIONS.shutdownTimeoutMs,
    logLevel,
  };
}
