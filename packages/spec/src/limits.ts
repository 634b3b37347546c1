import {
  formatMemory,
  formatTime,
  parseBigint,
  parseBool,
  parseCount,
  parseMemory,
  parseTime,
} from './value-grammar.js';

/**
 * Resource limits (reference §3.2). Parsed values: memory-like fields in bytes, `time` in
 * seconds, counters as integers, `network` as a boolean. Absent means "no limit".
 */
export interface Limits {
  cpus?: number;
  cpus_offset?: number;
  memory?: number;
  swap?: number;
  network?: boolean;
  pids?: number;
  storage?: number;
  image?: number;
  workspace?: number;
  time?: number;
  gpus?: number;
  gpus_offset?: number;
  gpu_memory?: number;
  perf_instructions?: number;
  perf_cycles?: number;
  cgroup_depth?: number;
  cgroup_descendants?: number;
}

export type LimitName = keyof Limits;
export type LimitKind = 'int' | 'memory' | 'time' | 'bool' | 'bigint';

/** Every limit and how its value is written. The order is the original's. */
export const LIMIT_KINDS = {
  cpus: 'int',
  cpus_offset: 'int',
  memory: 'memory',
  swap: 'memory',
  network: 'bool',
  pids: 'int',
  storage: 'memory',
  image: 'memory',
  workspace: 'memory',
  time: 'time',
  gpus: 'int',
  gpus_offset: 'int',
  gpu_memory: 'memory',
  perf_instructions: 'bigint',
  perf_cycles: 'bigint',
  cgroup_depth: 'int',
  cgroup_descendants: 'int',
} as const satisfies Record<LimitName, LimitKind>;

export const LIMIT_NAMES = Object.keys(LIMIT_KINDS) as LimitName[];

/** A limit as written in JSON: canonical output uses `"<int>b"`, `"<float>s"`, ints and bools. */
export type LimitsJson = Partial<Record<LimitName, string | number | boolean>>;

type NumericLimit = Exclude<LimitName, 'network'>;

/** Parses one value of the given kind (throws a `KOLEJKA_VALIDATION` error). */
export function parseLimitValue(kind: LimitKind, value: unknown): number | boolean {
  switch (kind) {
    case 'int':
      return parseCount(value);
    case 'memory':
      return parseMemory(value as string | number);
    case 'time':
      return parseTime(value as string | number);
    case 'bigint':
      return parseBigint(value as string | number);
    case 'bool':
      return parseBool(value);
  }
}

/** Parses limits already checked by the schema; absent and null fields are left out. */
export function parseLimits(json: unknown): Limits {
  const limits: Limits = {};
  if (json === null || typeof json !== 'object') return limits;
  const source = json as Record<string, unknown>;
  for (const name of LIMIT_NAMES) {
    const value = source[name];
    if (value === undefined || value === null) continue;
    (limits as Record<string, number | boolean>)[name] = parseLimitValue(LIMIT_KINDS[name], value);
  }
  return normalizeLimits(limits);
}

/** Canonical JSON of limits: only set fields, `"<int>b"` sizes and `"<float>s"` times. */
export function dumpLimits(limits: Limits): LimitsJson {
  const json: LimitsJson = {};
  for (const name of LIMIT_NAMES) {
    const value = limits[name];
    if (value === undefined) continue;
    const kind: LimitKind = LIMIT_KINDS[name];
    if (kind === 'memory') json[name] = formatMemory(value as number);
    else if (kind === 'time') json[name] = formatTime(value as number);
    else json[name] = value;
  }
  return json;
}

/** The original's "correct": without GPUs, `gpus_offset` and `gpu_memory` mean nothing. */
export function normalizeLimits(limits: Limits): Limits {
  if (limits.gpus === undefined || limits.gpus === 0) {
    const { gpus_offset: _offset, gpu_memory: _memory, ...rest } = limits;
    return rest;
  }
  return limits;
}

function minDefined<T extends number | boolean>(a: T | undefined, b: T | undefined): T | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a <= b ? a : b;
}

/**
 * Combines two sets of limits as the original's `update`: each field is the smaller of the
 * set values (absent = no limit, so the other side wins; for `network` false wins), except
 * `gpus`, where absent wins: a task that does not ask for GPUs never gets any.
 */
export function combineLimits(a: Limits, b: Limits): Limits {
  const combined: Limits = {};
  for (const name of LIMIT_NAMES) {
    const value =
      name === 'gpus'
        ? a.gpus === undefined || b.gpus === undefined
          ? undefined
          : Math.min(a.gpus, b.gpus)
        : minDefined(a[name], b[name]);
    if (value !== undefined) (combined as Record<string, number | boolean>)[name] = value;
  }
  return normalizeLimits(combined);
}

/** Limits whose values are consumed by a running task (the rest are caps or placements). */
export const CONSUMABLE_LIMITS = [
  'cpus',
  'memory',
  'swap',
  'pids',
  'storage',
  'workspace',
  'gpus',
] as const satisfies readonly NumericLimit[];
