import { dumpFiles, parseFiles, type FilesSpec } from './files.js';
import { dumpLimits, parseLimits, type Limits, type LimitsJson } from './limits.js';
import { pythonStr } from './python-float.js';
import { dumpStats, emptyStats, parseStats, type Stats, type StatsJson } from './stats.js';
import type { Termination } from './termination.js';
import { assertSchema } from './validator.js';
import { parseInteger } from './value-grammar.js';

/** A result spec (`kolejka_result.json`), parsed. */
export interface ResultSpec {
  id?: string;
  tags: string[];
  limits: Limits;
  stats: Stats;
  /** Exit code of the task's command. */
  result?: number;
  stdout?: string;
  stderr?: string;
  files: FilesSpec;
  /** Kolejka's extension: why the command ended. */
  termination?: Termination;
  /**
   * Kolejka's extension: limits the task asked for that the worker could not enforce (e.g.
   * `storage` without overlay2 on xfs with pquota). They are left out of `limits`, which
   * holds the limits the task really ran under.
   */
  unenforced_limits?: string[];
  /**
   * Kolejka's extension: stats whose value is the largest of readings taken while the task
   * ran rather than the kernel's peak counter, which the host lacks (e.g. `memory.max_usage`
   * without cgroup v2 memory.peak, before Linux 5.19): a spike shorter than the sampling
   * interval can be missed.
   */
  sampled_stats?: string[];
}

export interface ResultSpecJson {
  id?: string;
  tags: string[];
  limits: LimitsJson;
  stats: StatsJson;
  result?: number;
  stdout?: string;
  stderr?: string;
  files: FilesSpec;
  termination?: Termination;
  unenforced_limits?: string[];
  sampled_stats?: string[];
}

type Json = Record<string, unknown>;

export function emptyResult(id?: string): ResultSpec {
  return {
    ...(id === undefined ? {} : { id }),
    tags: [],
    limits: {},
    stats: emptyStats(),
    files: {},
  };
}

/** Validates and parses a result spec; unknown fields are ignored. */
export function parseResult(json: unknown): ResultSpec {
  assertSchema('result', json, 'result');
  const source = json as Json;
  const result: ResultSpec = {
    tags: ((source.tags as string[] | null) ?? []).slice(),
    limits: parseLimits(source.limits),
    stats: parseStats(source.stats),
    files: parseFiles(source.files),
  };
  if (source.id !== undefined && source.id !== null)
    result.id = pythonStr(source.id as string | number);
  if (source.result !== undefined && source.result !== null)
    result.result = parseInteger(source.result);
  if (typeof source.stdout === 'string') result.stdout = source.stdout;
  if (typeof source.stderr === 'string') result.stderr = source.stderr;
  const termination = source.termination as Json | null | undefined;
  if (termination) {
    result.termination = { reason: termination.reason as Termination['reason'] };
    if (typeof termination.signal === 'string') result.termination.signal = termination.signal;
    if (typeof termination.message === 'string') result.termination.message = termination.message;
  }
  const unenforced = source.unenforced_limits as string[] | null | undefined;
  if (unenforced) result.unenforced_limits = [...unenforced];
  const sampled = source.sampled_stats as string[] | null | undefined;
  if (sampled) result.sampled_stats = [...sampled];
  return result;
}

/** Canonical JSON of a result (the original's dump plus `termination` when known). */
export function dumpResult(result: ResultSpec): ResultSpecJson {
  const json: ResultSpecJson = {
    tags: [...result.tags],
    limits: dumpLimits(result.limits),
    stats: dumpStats(result.stats),
    files: dumpFiles(result.files),
  };
  if (result.id !== undefined) json.id = result.id;
  if (result.result !== undefined) json.result = result.result;
  if (result.stdout !== undefined) json.stdout = result.stdout;
  if (result.stderr !== undefined) json.stderr = result.stderr;
  if (result.termination !== undefined) json.termination = { ...result.termination };
  if (result.unenforced_limits !== undefined)
    json.unenforced_limits = [...result.unenforced_limits];
  if (result.sampled_stats !== undefined) json.sampled_stats = [...result.sampled_stats];
  return json;
}
