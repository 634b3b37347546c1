import { createRequire } from 'node:module';
import path from 'node:path';
import {
  readClientEnv,
  resolveClientConfig,
  type ClientConfig,
  type ClientEnv,
  type Env,
} from '@kolejka/client';
import { KolejkaError, noopLogger, parseCount, type Limits, type Logger } from '@kolejka/spec';
import { DEFAULT_CONTAINER_NAME_PREFIX, DEFAULT_OUTPUT_LIMIT_BYTES } from '@kolejka/worker';
import { detectAutoTags, withCpusTag } from './auto-tags.js';
import { resolveCapacity } from './capacity.js';
import { readForemanConf, splitList } from './foreman-conf.js';
import { detectMachine, type MachineResources } from './machine.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The foreman's software version (sent in the hello). */
export const FOREMAN_VERSION = version;

/** Environment variables the foreman reads (besides the client's KOLEJKA_SERVER, KOLEJKA_TOKEN). */
export const FOREMAN_ENV_NAMES = {
  id: 'KOLEJKA_FOREMAN_ID',
  temp: 'KOLEJKA_FOREMAN_TEMP',
  tags: 'KOLEJKA_FOREMAN_TAGS',
  concurrency: 'KOLEJKA_FOREMAN_CONCURRENCY',
  logLevel: 'KOLEJKA_LOG_LEVEL',
} as const;

export const DEFAULT_TEMP_DIR = '/var/tmp/kolejka-foreman';
export const DEFAULT_BLOB_CACHE_BYTES = 1024 ** 3;
/** A foreman id must fit the protocol's pattern. */
const ID_PATTERN = /^[A-Za-z0-9._:@-]{1,200}$/;

export interface ForemanEnv {
  client: ClientEnv;
  id?: string;
  tempDir?: string;
  tags?: string[];
  concurrency?: number;
  logLevel?: string;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/** Reads the foreman's environment once (the only place in the package that reads env). */
export function readForemanEnv(env: Env = process.env): ForemanEnv {
  const out: ForemanEnv = { client: readClientEnv(env) };
  const id = nonEmpty(env[FOREMAN_ENV_NAMES.id]);
  const tempDir = nonEmpty(env[FOREMAN_ENV_NAMES.temp]);
  const tags = nonEmpty(env[FOREMAN_ENV_NAMES.tags]);
  const concurrency = nonEmpty(env[FOREMAN_ENV_NAMES.concurrency]);
  const logLevel = nonEmpty(env[FOREMAN_ENV_NAMES.logLevel]);
  if (id !== undefined) out.id = id;
  if (tempDir !== undefined) out.tempDir = tempDir;
  if (tags !== undefined) out.tags = splitList(tags);
  if (concurrency !== undefined) {
    try {
      out.concurrency = parseCount(concurrency);
    } catch (error) {
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `${FOREMAN_ENV_NAMES.concurrency}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  if (logLevel !== undefined) out.logLevel = logLevel;
  return out;
}

/** Settings given by a program or the command line: the top layer. Each is optional. */
export interface ForemanOptions {
  /** Server base URL(s) of one system, comma-separated or a list (failover). Default: the client's config, else http://127.0.0.1:8000. */
  server?: string | string[];
  /** API token of a processor user. Default: the client's config (KOLEJKA_TOKEN, client.json, kolejka.conf credentials). */
  token?: string;
  /** The original's `kolejka.conf` to read instead of searching for one. */
  configFile?: string;
  /** The client section of `kolejka.conf` (credentials). Default: `[default] config`, else `client`. */
  config?: string;
  /** Stable id of this foreman. Default: the host name. */
  id?: string;
  /** Configured tags, added to the automatic ones. */
  tags?: string[];
  /** Add the automatic tags (cpu, cpus, gpu, hostname, kernel). Default true. */
  autoTags?: boolean;
  /** Most tasks run at once (beyond what capacity allows). Default: no limit. */
  concurrency?: number;
  /** Capacity and caps; machine-bounded values (cpus, memory, gpus, gpu_memory) are only lowered. */
  limits?: Limits;
  /** Work dirs, the blob cache and the result spool. Default /var/tmp/kolejka-foreman. */
  tempDir?: string;
  /** Pull every task's image before it runs (else only when missing). Default false. */
  pull?: boolean;
  /** Cap of each of a task's stdout and stderr. Default 64 MiB (the worker's). */
  outputLimitBytes?: number;
  /** Size budget of the input blob cache. Default 1 GiB. */
  blobCacheBytes?: number;
  /** Start of task container names. Default `kolejka-worker-`. */
  containerNamePrefix?: string;
  /** With an image budget: also remove images the foreman did not pull. Default false. */
  evictForeignImages?: boolean;
}

export interface ResolvedForemanOptions {
  servers: string[];
  token?: string;
  username?: string;
  password?: string;
  id: string;
  tags: string[];
  capacity: Limits;
  /** Infinity when only capacity bounds it. */
  concurrency: number;
  tempDir: string;
  pull: boolean;
  outputLimitBytes: number;
  blobCacheBytes: number;
  containerNamePrefix: string;
  evictForeignImages: boolean;
  version: string;
  machine: MachineResources;
  /** Where the settings came from, for `--print-config` and the log. */
  sources: { kolejkaConf?: string; server: string; token?: string };
}

/** The host name made into a valid foreman id. */
export function defaultForemanId(hostname: string): string {
  const safe = hostname.replace(/[^A-Za-z0-9._:@-]/g, '-').slice(0, 200);
  return safe === '' ? 'foreman' : safe;
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `${name} must be a whole number of at least 1, not ${value}`,
    );
  }
  return value;
}

/**
 * Resolves the foreman's settings once: defaults (the machine) < `kolejka.conf` ([foreman],
 * then [default]) < environment < options. Server and credentials come from the client's
 * configuration (kolejka.conf client section, client.json, KOLEJKA_SERVER/KOLEJKA_TOKEN).
 */
export async function resolveForemanOptions(
  options: ForemanOptions = {},
  context: {
    env?: ForemanEnv;
    etcDir?: string;
    logger?: Logger;
    machine?: MachineResources;
    autoTags?: (gpuNames: readonly string[]) => Promise<string[]>;
  } = {},
): Promise<ResolvedForemanOptions> {
  const env = context.env ?? readForemanEnv();
  const logger = context.logger ?? noopLogger;
  const client: ClientConfig = await resolveClientConfig({
    env: env.client,
    flags: {
      ...(options.server === undefined
        ? {}
        : {
            server: typeof options.server === 'string' ? options.server : options.server.join(','),
          }),
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
      ...(options.config === undefined ? {} : { config: options.config }),
    },
    ...(context.etcDir === undefined ? {} : { etcDir: context.etcDir }),
    logger,
  });
  const conf = await readForemanConf({
    env: env.client,
    ...(options.configFile === undefined ? {} : { file: options.configFile }),
    ...(context.etcDir === undefined ? {} : { etcDir: context.etcDir }),
  });
  const machine = context.machine ?? (await detectMachine());
  const capacity = resolveCapacity(machine, { ...conf.limits, ...(options.limits ?? {}) }, logger);

  const id = options.id ?? env.id ?? conf.id ?? defaultForemanId(machine.hostname);
  if (!ID_PATTERN.test(id)) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Foreman id ${JSON.stringify(id)} may only hold letters, digits and . _ : @ - (at most 200)`,
    );
  }
  const autoTagsOn = options.autoTags ?? conf.autoTags ?? true;
  const configuredTags = options.tags ?? env.tags ?? conf.tags ?? [];
  const automatic = autoTagsOn
    ? withCpusTag(
        await (context.autoTags ?? detectAutoTags)(machine.gpus.map((gpu) => gpu.name)),
        capacity.cpus,
      )
    : [];
  const concurrency =
    positive('concurrency', options.concurrency ?? env.concurrency ?? conf.concurrency) ??
    Number.POSITIVE_INFINITY;
  const outputLimitBytes =
    options.outputLimitBytes ?? conf.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
  const blobCacheBytes = options.blobCacheBytes ?? conf.blobCacheBytes ?? DEFAULT_BLOB_CACHE_BYTES;
  return {
    servers: client.server.value,
    ...(client.token === undefined ? {} : { token: client.token.value }),
    ...(client.token === undefined && client.username !== undefined && client.password !== undefined
      ? { username: client.username.value, password: client.password.value }
      : {}),
    id,
    tags: [...new Set([...configuredTags, ...automatic])],
    capacity,
    concurrency,
    tempDir: path.resolve(options.tempDir ?? env.tempDir ?? conf.tempDir ?? DEFAULT_TEMP_DIR),
    pull: options.pull ?? conf.pull ?? false,
    outputLimitBytes,
    blobCacheBytes,
    containerNamePrefix: options.containerNamePrefix ?? DEFAULT_CONTAINER_NAME_PREFIX,
    evictForeignImages: options.evictForeignImages ?? false,
    version: FOREMAN_VERSION,
    machine,
    sources: {
      ...(conf.file === undefined ? {} : { kolejkaConf: conf.file }),
      server: client.server.source,
      ...(client.token === undefined ? {} : { token: client.token.source }),
    },
  };
}
