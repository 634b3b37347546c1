import {
  formatMemory,
  formatTime,
  parseCount,
  parseMemory,
  parseTime,
  roundHalfEven,
} from './value-grammar.js';

/**
 * Measured usage (reference §3.3). Parsed values: times in seconds, memory in bytes.
 * `cpus` and `gpus` are keyed by index as text (`"0"`, `"1"`), as in JSON.
 */
export interface CpuStats {
  usage?: number;
  system?: number;
  user?: number;
}

export interface MemoryStats {
  usage?: number;
  max_usage?: number;
  swap?: number;
  max_swap?: number;
  failures?: number;
}

export interface PidsStats {
  usage?: number;
  max_usage?: number;
  failures?: number;
}

export interface PerfStats {
  instructions?: number;
  cycles?: number;
}

export interface GpuStats {
  name?: string;
  id?: string;
  memory_total?: number;
  memory_usage?: number;
  max_memory_usage?: number;
  temperature?: number;
  max_temperature?: number;
  /** Fraction of time busy, 0..1 (the original truncated this to 0 or 1; we keep it). */
  utilization?: number;
  max_utilization?: number;
}

export interface Stats {
  cpu: CpuStats;
  cpus: Record<string, CpuStats>;
  memory: MemoryStats;
  pids: PidsStats;
  perf: PerfStats;
  /** Wall time in seconds. */
  time?: number;
  gpus: Record<string, GpuStats>;
}

export function emptyStats(): Stats {
  return { cpu: {}, cpus: {}, memory: {}, pids: {}, perf: {}, gpus: {} };
}

type Json = Record<string, unknown>;
type Parser = (value: unknown) => number;

const time: Parser = (value) => parseTime(value as string | number);
const memory: Parser = (value) => parseMemory(value as string | number);
const count: Parser = parseCount;
const fraction: Parser = (value) => Number(value);

function pick<T extends object>(json: unknown, fields: Partial<Record<keyof T, Parser>>): T {
  const out: Record<string, number> = {};
  if (json === null || typeof json !== 'object') return out as T;
  for (const [name, parse] of Object.entries(fields) as [string, Parser][]) {
    const value = (json as Json)[name];
    if (value !== undefined && value !== null) out[name] = parse(value);
  }
  return out as T;
}

function maxDefined(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : Math.max(...defined);
}

function sumDefined(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : defined.reduce((sum, value) => sum + value, 0);
}

function setOrDelete<T extends object>(
  target: T,
  name: keyof T,
  value: T[keyof T] | undefined,
): void {
  if (value === undefined) delete target[name];
  else target[name] = value;
}

/**
 * A sum of times, at the precision times are written with (microseconds): so that a value
 * raised to a sum reads back from its dump unchanged (0.07984 + 0.024156 is
 * 0.10399599999999999 in floating point, which dumps as "0.103996s").
 */
function sumTimes(...values: (number | undefined)[]): number | undefined {
  const sum = sumDefined(...values);
  return sum === undefined ? undefined : roundHalfEven(sum * 1e6) / 1e6;
}

/** CPU usage is at least user + system. */
function correctCpu(cpu: CpuStats): CpuStats {
  const usage = maxDefined(cpu.usage, sumTimes(cpu.system, cpu.user));
  const out = { ...cpu };
  setOrDelete(out, 'usage', usage);
  return out;
}

/** The total is at least the sum over CPUs, field by field. */
function raiseToPerCpuSum(cpu: CpuStats, cpus: Record<string, CpuStats>): CpuStats {
  const all = Object.values(cpus);
  const out = { ...cpu };
  for (const field of ['usage', 'system', 'user'] as const) {
    setOrDelete(out, field, maxDefined(cpu[field], sumTimes(...all.map((one) => one[field]))));
  }
  return correctCpu(out);
}

function correctUsage<T extends { usage?: number; max_usage?: number }>(stats: T): T {
  const out: { usage?: number; max_usage?: number } = { ...stats };
  setOrDelete(out, 'max_usage', maxDefined(stats.max_usage, stats.usage));
  return out as T;
}

function parseCpu(json: unknown): CpuStats {
  return correctCpu(pick<CpuStats>(json, { usage: time, system: time, user: time }));
}

function parseGpu(json: unknown): GpuStats {
  const gpu: GpuStats = pick<GpuStats>(json, {
    memory_total: memory,
    memory_usage: memory,
    max_memory_usage: memory,
    temperature: count,
    max_temperature: count,
    utilization: fraction,
    max_utilization: fraction,
  });
  const source = (json ?? {}) as Json;
  if (typeof source.name === 'string') gpu.name = source.name;
  if (typeof source.id === 'string') gpu.id = source.id;
  // Peaks are at least the current reading, as for memory and pids.
  setOrDelete(gpu, 'max_memory_usage', maxDefined(gpu.max_memory_usage, gpu.memory_usage));
  setOrDelete(gpu, 'max_temperature', maxDefined(gpu.max_temperature, gpu.temperature));
  setOrDelete(gpu, 'max_utilization', maxDefined(gpu.max_utilization, gpu.utilization));
  return gpu;
}

function mapValues<T>(json: unknown, parse: (value: unknown) => T): Record<string, T> {
  if (json === null || typeof json !== 'object') return {};
  return Object.fromEntries(
    Object.entries(json as Json).map(([key, value]) => [key, parse(value)]),
  );
}

/** Parses stats already checked by the schema, applying the original's corrections. */
export function parseStats(json: unknown): Stats {
  const source = (json ?? {}) as Json;
  const cpus = mapValues(source.cpus, parseCpu);
  const memoryStats = pick<MemoryStats>(source.memory, {
    usage: memory,
    max_usage: memory,
    swap: memory,
    max_swap: memory,
    failures: count,
  });
  const stats: Stats = {
    cpu: raiseToPerCpuSum(parseCpu(source.cpu), cpus),
    cpus,
    memory: correctMemory(memoryStats),
    pids: correctUsage(
      pick<PidsStats>(source.pids, { usage: count, max_usage: count, failures: count }),
    ),
    perf: pick<PerfStats>(source.perf, { instructions: count, cycles: count }),
    gpus: mapValues(source.gpus, parseGpu),
  };
  if (source.time !== undefined && source.time !== null) stats.time = time(source.time);
  return stats;
}

function correctMemory(stats: MemoryStats): MemoryStats {
  const out = correctUsage(stats);
  setOrDelete(out, 'max_swap', maxDefined(stats.max_swap, stats.swap));
  return out;
}

function mergeCpu(a: CpuStats, b: CpuStats): CpuStats {
  const out: CpuStats = {};
  for (const field of ['usage', 'system', 'user'] as const) {
    setOrDelete(out, field, maxDefined(a[field], b[field]));
  }
  return correctCpu(out);
}

/** Instantaneous values take the newer reading; maxima and counters take the larger. */
function mergeMemory(a: MemoryStats, b: MemoryStats): MemoryStats {
  const out: MemoryStats = {};
  setOrDelete(out, 'usage', b.usage ?? a.usage);
  setOrDelete(out, 'max_usage', maxDefined(a.max_usage, b.max_usage, out.usage));
  setOrDelete(out, 'swap', b.swap ?? a.swap);
  setOrDelete(out, 'max_swap', maxDefined(a.max_swap, b.max_swap, out.swap));
  setOrDelete(out, 'failures', maxDefined(a.failures, b.failures));
  return out;
}

function mergePids(a: PidsStats, b: PidsStats): PidsStats {
  const out: PidsStats = {};
  setOrDelete(out, 'usage', b.usage ?? a.usage);
  setOrDelete(out, 'max_usage', maxDefined(a.max_usage, b.max_usage, out.usage));
  setOrDelete(out, 'failures', maxDefined(a.failures, b.failures));
  return out;
}

function mergeGpu(a: GpuStats, b: GpuStats): GpuStats {
  const out: GpuStats = {};
  setOrDelete(out, 'name', b.name ?? a.name);
  setOrDelete(out, 'id', b.id ?? a.id);
  setOrDelete(out, 'memory_total', b.memory_total ?? a.memory_total);
  setOrDelete(out, 'memory_usage', b.memory_usage ?? a.memory_usage);
  setOrDelete(
    out,
    'max_memory_usage',
    maxDefined(a.max_memory_usage, b.max_memory_usage, out.memory_usage),
  );
  setOrDelete(out, 'temperature', b.temperature ?? a.temperature);
  setOrDelete(
    out,
    'max_temperature',
    maxDefined(a.max_temperature, b.max_temperature, out.temperature),
  );
  setOrDelete(out, 'utilization', b.utilization ?? a.utilization);
  setOrDelete(
    out,
    'max_utilization',
    maxDefined(a.max_utilization, b.max_utilization, out.utilization),
  );
  return out;
}

function mergeKeyed<T>(
  a: Record<string, T>,
  b: Record<string, T>,
  merge: (x: T, y: T) => T,
  empty: T,
): Record<string, T> {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return Object.fromEntries(
    [...keys].map((key) => {
      const older = Object.hasOwn(a, key) ? a[key] : undefined;
      const newer = Object.hasOwn(b, key) ? b[key] : undefined;
      return [key, newer === undefined ? (older as T) : merge(older ?? empty, newer)];
    }),
  );
}

/**
 * Merges a newer reading `b` into `a` (the original's `update`): CPU times, maxima,
 * failures, perf counters and wall time take the larger value; current usage takes `b`'s.
 */
export function mergeStats(a: Stats, b: Stats): Stats {
  const cpus = mergeKeyed(a.cpus, b.cpus, mergeCpu, {});
  const merged: Stats = {
    cpu: raiseToPerCpuSum(mergeCpu(a.cpu, b.cpu), cpus),
    cpus,
    memory: mergeMemory(a.memory, b.memory),
    pids: mergePids(a.pids, b.pids),
    perf: {},
    gpus: mergeKeyed(a.gpus, b.gpus, mergeGpu, {}),
  };
  setOrDelete(merged.perf, 'instructions', maxDefined(a.perf.instructions, b.perf.instructions));
  setOrDelete(merged.perf, 'cycles', maxDefined(a.perf.cycles, b.perf.cycles));
  setOrDelete(merged, 'time', maxDefined(a.time, b.time));
  return merged;
}

/** A final result keeps maxima only: current memory, swap and pids usage are dropped. */
export function keepMaxima(stats: Stats): Stats {
  const { usage: _memoryUsage, swap: _swap, ...memoryStats } = stats.memory;
  const { usage: _pidsUsage, ...pids } = stats.pids;
  return { ...stats, memory: memoryStats, pids };
}

type StatsFieldsJson = Record<string, string | number>;

function dumpFields(
  stats: object,
  formats: Record<string, (value: number) => string | number>,
): StatsFieldsJson {
  const out: StatsFieldsJson = {};
  for (const [name, value] of Object.entries(stats)) {
    if (value === undefined) continue;
    const format = formats[name];
    out[name] = format && typeof value === 'number' ? format(value) : (value as string | number);
  }
  return out;
}

export interface StatsJson {
  cpu: StatsFieldsJson;
  cpus: Record<string, StatsFieldsJson>;
  memory: StatsFieldsJson;
  pids: StatsFieldsJson;
  perf: StatsFieldsJson;
  time?: string;
  gpus: Record<string, StatsFieldsJson>;
}

const CPU_FORMAT = { usage: formatTime, system: formatTime, user: formatTime };
const MEMORY_FORMAT = {
  usage: formatMemory,
  max_usage: formatMemory,
  swap: formatMemory,
  max_swap: formatMemory,
};
const GPU_FORMAT = {
  memory_total: formatMemory,
  memory_usage: formatMemory,
  max_memory_usage: formatMemory,
};

/** Canonical JSON of stats: every group present (possibly `{}`), `time` only when known. */
export function dumpStats(stats: Stats): StatsJson {
  const json: StatsJson = {
    cpu: dumpFields(stats.cpu, CPU_FORMAT),
    cpus: Object.fromEntries(
      Object.entries(stats.cpus).map(([key, cpu]) => [key, dumpFields(cpu, CPU_FORMAT)]),
    ),
    memory: dumpFields(stats.memory, MEMORY_FORMAT),
    pids: dumpFields(stats.pids, {}),
    perf: dumpFields(stats.perf, {}),
    gpus: Object.fromEntries(
      Object.entries(stats.gpus).map(([key, gpu]) => [key, dumpFields(gpu, GPU_FORMAT)]),
    ),
  };
  if (stats.time !== undefined) json.time = formatTime(stats.time);
  return json;
}
