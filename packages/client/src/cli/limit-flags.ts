import type { Argv } from 'yargs';
import {
  KolejkaError,
  LIMIT_KINDS,
  isKolejkaError,
  parseLimitValue,
  type LimitName,
  type Limits,
} from '@kolejka/spec';

/** A command-line flag that sets one limit (`--gpu-memory` sets `gpu_memory`). */
export interface LimitFlag {
  flag: string;
  limit: LimitName;
  describe: string;
}

/** The limit flags of `task put` and `execute` (the original client's, reference §8.1). */
const LIMIT_FLAGS: readonly LimitFlag[] = [
  { flag: 'cpus', limit: 'cpus', describe: 'CPUs (a count)' },
  { flag: 'memory', limit: 'memory', describe: 'memory, e.g. 256M, 1.5G (binary units)' },
  { flag: 'swap', limit: 'swap', describe: 'swap on top of memory, e.g. 0' },
  { flag: 'pids', limit: 'pids', describe: 'processes and threads (a count)' },
  { flag: 'storage', limit: 'storage', describe: 'disk space of the container, e.g. 1G' },
  { flag: 'image', limit: 'image', describe: 'size of the Docker image, e.g. 2G' },
  { flag: 'workspace', limit: 'workspace', describe: 'size of the work dir, e.g. 512M' },
  { flag: 'time', limit: 'time', describe: 'wall time, e.g. 10s, 1500m (ms), 2M (minutes)' },
  {
    flag: 'network',
    limit: 'network',
    describe: 'network access: true or false (false/no/0 deny)',
  },
  { flag: 'gpus', limit: 'gpus', describe: 'GPUs (a count)' },
  { flag: 'gpu-memory', limit: 'gpu_memory', describe: 'GPU memory, e.g. 4G' },
  {
    flag: 'perf-instructions',
    limit: 'perf_instructions',
    describe: 'instructions (decimal units: 10G)',
  },
  { flag: 'perf-cycles', limit: 'perf_cycles', describe: 'CPU cycles (decimal units)' },
  { flag: 'cgroup-depth', limit: 'cgroup_depth', describe: 'nesting of cgroups (a count)' },
  {
    flag: 'cgroup-descendants',
    limit: 'cgroup_descendants',
    describe: 'cgroups below the task (a count)',
  },
];

/**
 * Adds the limit flags (by default the client's; the foreman passes its capacity flags);
 * their values use the task file grammar.
 */
export function withLimitFlags<T>(
  yargs: Argv<T>,
  flags: readonly LimitFlag[] = LIMIT_FLAGS,
  group = "Limits (each combined with the task's: the smaller wins):",
): Argv<T> {
  let built = yargs;
  for (const { flag, describe } of flags) {
    built = built.option(flag, {
      type: 'string',
      group,
      describe,
      requiresArg: flag !== 'network',
    });
  }
  return built;
}

/** The text of a string flag; a repeated flag gives a list, and the last one counts. */
export function lastFlagText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const last: unknown = Array.isArray(value) ? (value as unknown[])[value.length - 1] : value;
  return typeof last === 'string' ? last : JSON.stringify(last);
}

/** A flag's (last) value parsed by `parse`; a bad value is a KOLEJKA_VALIDATION error naming the flag. */
export function parseFlag<T>(
  flag: string,
  value: unknown,
  parse: (text: string) => T,
): T | undefined {
  const text = lastFlagText(value);
  if (text === undefined) return undefined;
  try {
    return parse(text);
  } catch (error) {
    if (!isKolejkaError(error)) throw error;
    throw new KolejkaError('KOLEJKA_VALIDATION', `--${flag}: ${error.message}`, { cause: error });
  }
}

/** The limits given as flags, parsed (a bad value is a usage error naming the flag). */
export function limitsFromFlags(
  argv: Record<string, unknown>,
  flags: readonly LimitFlag[] = LIMIT_FLAGS,
): Limits {
  const limits: Limits = {};
  for (const { flag, limit } of flags) {
    const value = parseFlag(flag, argv[flag], (text) => parseLimitValue(LIMIT_KINDS[limit], text));
    if (value !== undefined) (limits as Record<string, number | boolean>)[limit] = value;
  }
  return limits;
}
