import {
  KolejkaError,
  assertSchema,
  dumpLimits,
  parseLimits,
  validationError,
  type Limits,
  type LimitsJson,
  type ValidationIssue,
} from '@kolejka/spec';
import {
  NO_RETENTION,
  describeRetention,
  parseRetention,
  type RetentionPolicy,
} from './ops/retention-policy.js';

/**
 * What the HTTP layer needs to know about policy: task limits, accepted images, callbacks,
 * body sizes, leases and sessions. `createApp` takes the options and resolves them once.
 */
export interface ServerSettingsOptions {
  /**
   * Limits given to a task that omits them (the task's own value wins), over
   * `DEFAULT_TASK_LIMITS` (a 1 GiB workspace). Default: those alone.
   */
  defaultLimits?: Limits | LimitsJson;
  /**
   * The original's `LIMIT_*`: combined with every task's limits (the smaller value wins).
   * An absent `gpus` here does not take GPUs away from tasks. Default: none.
   */
  maxLimits?: Limits | LimitsJson;
  /** Regular expressions an image name must match entirely. Default: `[".*"]` (any). */
  imagePatterns?: string[];
  /** Host names a task's `callback_url` may point at. Default: `["localhost", "127.0.0.1"]`. */
  callbackHosts?: string[];
  /** Attempts per callback before giving up (exponential backoff between). Default 5. */
  callbackAttempts?: number;
  /** First backoff between callback attempts; doubles each time. Default 1000 ms. */
  callbackBackoffMs?: number;
  /** Timeout of one callback request. Default 10000 ms. */
  callbackTimeoutMs?: number;
  /** `User-Agent` of callback requests. Default `kolejka-server` (the original's). */
  callbackUserAgent?: string;
  /** Largest JSON body (task, result, dequeue). Default 4 MiB. */
  maxJsonBytes?: number;
  /** Largest blob upload. Default 4 GiB. */
  maxBlobBytes?: number;
  /** Lease of a push assignment, renewed by heartbeats. Default 60 s. */
  leaseMs?: number;
  /** A task fails after losing this many leases. Default 3. */
  maxAttempts?: number;
  /**
   * Queue control (issue 12): the highest priority an owner without a manager role may give
   * its own task through `PATCH /api/v1/tasks/KEY`. Default 0 (owners may lower a task or
   * bring it back to normal; raising it above others is a manager's call).
   */
  maxClientPriority?: number;
  /**
   * Lease of a task claimed through the original `/queue/dequeue/`: original foremen never
   * renew, so it must outlast the longest task. Default 1 hour.
   */
  compatLeaseMs?: number;
  /** Life of a `sessionid` cookie session. Default 14 days (Django's). */
  sessionMaxAgeMs?: number;
  /** Trust `X-Forwarded-*` from a reverse proxy (for HTTPS detection). Default false. */
  trustProxy?: boolean;
  /** Password logins per minute (burst and rate) per client address and per user name. Default 30. */
  loginAttemptsPerMinute?: number;
  /** When set, `/metrics` answers a request with `Authorization: Bearer <this>` (or from `metricsAddresses`). Default: none. */
  metricsToken?: string;
  /** Client addresses (exact IPs) that may read `/metrics`. Default: any, unless `metricsToken` is set. */
  metricsAddresses?: string[];
  /** Allow callbacks to loopback hosts (localhost, 127.0.0.0/8, ::1) when they are in `callbackHosts`. Default false. */
  callbackLoopback?: boolean;
  /**
   * How long ended tasks (with their results) are kept, per user, per role or by default:
   * a policy or its text, `default=90D,client=30D,user:alice=7D`. Default: kept for ever.
   */
  retention?: RetentionPolicy | string;
  /** How often the server applies `retention` and collects garbage by itself. Default 1 hour; 0: never. */
  maintenanceIntervalMs?: number;
  /**
   * How often expired leases are returned to the queue (and the scheduler re-reads the
   * foremen records: drains made elsewhere, foremen of a server process that died).
   * Default: a quarter of the lease, at most 5000 ms.
   */
  leaseSweepIntervalMs?: number;
  /** How often foremen send `foreman:heartbeat` (and the server pings them). Default: a third of the lease, at most 20 s. */
  heartbeatIntervalMs?: number;
  /** How long a foreman has to accept or reject an assignment before it goes back to the queue. Default: half the lease, at most 10 s. */
  assignTimeoutMs?: number;
  // Schedules (issue 12) ----------------------------------------------------------------------
  /** A cron tick missed (no server ran) at most this long ago fires once at start. Default 1 hour; 0: only ticks on time. */
  scheduleCatchUpMs?: number;
  /** How often the schedules are re-read for changes made by other server processes. Default 5 s. */
  schedulePollMs?: number;
  /** Serve the web dashboard at `/ui/` (off: `/ui` is not found). Default true. */
  ui?: boolean;
}

export interface ServerSettings {
  defaultLimits: Limits;
  maxLimits: Limits;
  imagePatterns: string[];
  /** `imagePatterns` compiled, anchored at both ends. */
  imageRegexes: RegExp[];
  callbackHosts: string[];
  callbackAttempts: number;
  callbackBackoffMs: number;
  callbackTimeoutMs: number;
  callbackUserAgent: string;
  maxJsonBytes: number;
  maxBlobBytes: number;
  leaseMs: number;
  maxAttempts: number;
  maxClientPriority: number;
  compatLeaseMs: number;
  sessionMaxAgeMs: number;
  trustProxy: boolean;
  loginAttemptsPerMinute: number;
  metricsToken: string | undefined;
  metricsAddresses: string[];
  callbackLoopback: boolean;
  retention: RetentionPolicy;
  maintenanceIntervalMs: number;
  leaseSweepIntervalMs: number;
  heartbeatIntervalMs: number;
  assignTimeoutMs: number;
  scheduleCatchUpMs: number;
  schedulePollMs: number;
  ui: boolean;
}

export const DEFAULT_SETTINGS = {
  imagePatterns: ['.*'],
  callbackHosts: ['localhost', '127.0.0.1'],
  callbackAttempts: 5,
  callbackBackoffMs: 1000,
  callbackTimeoutMs: 10_000,
  callbackUserAgent: 'kolejka-server',
  maxJsonBytes: 4 * 1024 ** 2,
  maxBlobBytes: 4 * 1024 ** 3,
  leaseMs: 60_000,
  maxAttempts: 3,
  maxClientPriority: 0,
  compatLeaseMs: 3_600_000,
  sessionMaxAgeMs: 14 * 24 * 3_600_000,
  trustProxy: false,
  loginAttemptsPerMinute: 30,
  callbackLoopback: false,
  maintenanceIntervalMs: 3_600_000,
  scheduleCatchUpMs: 3_600_000,
  schedulePollMs: 5000,
  ui: true,
} as const;

/**
 * What every task gets unless it or the server's `defaultLimits` say otherwise: a bounded
 * workspace, so that no task writes into the foreman's disk without bound. The worker
 * mounts it as a tmpfs (files there are memory, counted in the task's memory use).
 */
export const DEFAULT_TASK_LIMITS: Limits = { workspace: 1024 ** 3 };

/** Upper bounds of the timings derived from the lease (see `ServerSettingsOptions`). */
export const MAX_DERIVED_TIMINGS = {
  leaseSweepIntervalMs: 5000,
  heartbeatIntervalMs: 20_000,
  assignTimeoutMs: 10_000,
} as const;

/** Limits given either parsed (numbers) or as JSON (`"64M"`); both end up parsed. */
function toLimits(value: Limits | LimitsJson | undefined, path: string): Limits {
  if (value === undefined) return {};
  try {
    const json = dumpLimitsLoose(value);
    assertSchema('limits', json, path);
    return parseLimits(json);
  } catch (error) {
    if (error instanceof KolejkaError && error.issues.length > 0) throw error;
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Invalid setting ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

// Parsed limits are valid JSON limits too (bytes and seconds as bare numbers), so the one
// parser accepts both forms; this only checks that the value is an object.
function dumpLimitsLoose(value: Limits | LimitsJson): LimitsJson {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KolejkaError('KOLEJKA_VALIDATION', 'must be an object of limits');
  }
  return value;
}

function positive(
  issues: ValidationIssue[],
  name: keyof ServerSettingsOptions,
  value: number,
): number {
  if (!Number.isFinite(value) || value <= 0) {
    issues.push({ path: `/${name}`, message: `must be a positive number, not ${String(value)}` });
  }
  return value;
}

/** Resolves settings once: defaults filled in, limits parsed, image patterns compiled. */
export function resolveServerSettings(options: ServerSettingsOptions = {}): ServerSettings {
  const issues: ValidationIssue[] = [];
  const imagePatterns = options.imagePatterns ?? [...DEFAULT_SETTINGS.imagePatterns];
  const imageRegexes: RegExp[] = [];
  imagePatterns.forEach((pattern, index) => {
    try {
      imageRegexes.push(new RegExp(`^(?:${pattern})$`, 'u'));
    } catch (error) {
      issues.push({
        path: `/imagePatterns/${index}`,
        message: `is not a valid regular expression (${(error as Error).message})`,
      });
    }
  });
  const number = (name: keyof typeof DEFAULT_SETTINGS & keyof ServerSettingsOptions): number =>
    positive(
      issues,
      name,
      (options[name] as number | undefined) ?? (DEFAULT_SETTINGS[name] as number),
    );
  const leaseMs = number('leaseMs');
  // Short leases (tests, small clusters) need proportionally quick sweeps and heartbeats.
  const derived = (name: keyof typeof MAX_DERIVED_TIMINGS, fraction: number): number =>
    positive(
      issues,
      name,
      options[name] ?? Math.max(1, Math.min(MAX_DERIVED_TIMINGS[name], leaseMs * fraction)),
    );
  const settings: ServerSettings = {
    defaultLimits: { ...DEFAULT_TASK_LIMITS, ...toLimits(options.defaultLimits, 'defaultLimits') },
    maxLimits: toLimits(options.maxLimits, 'maxLimits'),
    imagePatterns,
    imageRegexes,
    callbackHosts: (options.callbackHosts ?? [...DEFAULT_SETTINGS.callbackHosts]).map((host) =>
      host.toLowerCase(),
    ),
    callbackAttempts: Math.floor(number('callbackAttempts')),
    callbackBackoffMs: number('callbackBackoffMs'),
    callbackTimeoutMs: number('callbackTimeoutMs'),
    callbackUserAgent: options.callbackUserAgent ?? DEFAULT_SETTINGS.callbackUserAgent,
    maxJsonBytes: Math.floor(number('maxJsonBytes')),
    maxBlobBytes: Math.floor(number('maxBlobBytes')),
    leaseMs,
    maxAttempts: Math.floor(number('maxAttempts')),
    maxClientPriority: clientPriority(options.maxClientPriority),
    compatLeaseMs: number('compatLeaseMs'),
    sessionMaxAgeMs: number('sessionMaxAgeMs'),
    trustProxy: options.trustProxy ?? DEFAULT_SETTINGS.trustProxy,
    loginAttemptsPerMinute: number('loginAttemptsPerMinute'),
    metricsToken: options.metricsToken === '' ? undefined : options.metricsToken,
    metricsAddresses: options.metricsAddresses ?? [],
    callbackLoopback: options.callbackLoopback ?? DEFAULT_SETTINGS.callbackLoopback,
    retention: retentionSetting(issues, options.retention),
    maintenanceIntervalMs: nonNegative(
      issues,
      'maintenanceIntervalMs',
      options.maintenanceIntervalMs ?? DEFAULT_SETTINGS.maintenanceIntervalMs,
    ),
    leaseSweepIntervalMs: derived('leaseSweepIntervalMs', 1 / 4),
    heartbeatIntervalMs: Math.ceil(derived('heartbeatIntervalMs', 1 / 3)),
    assignTimeoutMs: derived('assignTimeoutMs', 1 / 2),
    scheduleCatchUpMs: nonNegative(
      issues,
      'scheduleCatchUpMs',
      options.scheduleCatchUpMs ?? DEFAULT_SETTINGS.scheduleCatchUpMs,
    ),
    schedulePollMs: number('schedulePollMs'),
    ui: options.ui ?? DEFAULT_SETTINGS.ui,
  };
  if (issues.length > 0) throw validationError('server settings', issues);
  return settings;
}

/** The settings as JSON (limits in canonical form), for `GET /api/v1/settings` and logs. */
export function describeSettings(settings: ServerSettings): Record<string, unknown> {
  return {
    defaultLimits: dumpLimits(settings.defaultLimits),
    maxLimits: dumpLimits(settings.maxLimits),
    imagePatterns: settings.imagePatterns,
    callbackHosts: settings.callbackHosts,
    maxJsonBytes: settings.maxJsonBytes,
    maxBlobBytes: settings.maxBlobBytes,
    leaseMs: settings.leaseMs,
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    maxAttempts: settings.maxAttempts,
    maxClientPriority: settings.maxClientPriority,
    compatLeaseMs: settings.compatLeaseMs,
    retention: describeRetention(settings.retention),
    maintenanceIntervalMs: settings.maintenanceIntervalMs,
    scheduleCatchUpMs: settings.scheduleCatchUpMs,
  };
}

function retentionSetting(
  issues: ValidationIssue[],
  value: RetentionPolicy | string | undefined,
): RetentionPolicy {
  if (value === undefined) return NO_RETENTION;
  if (typeof value !== 'string') return value;
  try {
    return parseRetention(value);
  } catch (error) {
    issues.push({ path: '/retention', message: (error as Error).message });
    return NO_RETENTION;
  }
}

function nonNegative(issues: ValidationIssue[], name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    issues.push({ path: `/${name}`, message: `must be 0 or a positive number, not ${value}` });
  return value;
}

/** Queue control (issue 12): the owners' priority ceiling, a whole number in -1000..1000. */
function clientPriority(value: number | undefined): number {
  if (value === undefined) return DEFAULT_SETTINGS.maxClientPriority;
  if (!Number.isInteger(value) || Math.abs(value) > 1000)
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `maxClientPriority must be a whole number from -1000 to 1000, not ${value}`,
    );
  return value;
}
